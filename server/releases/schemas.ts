import { z } from "zod";

export const releaseNumberInput = z.object({ number: z.number().int().min(1).max(2_147_483_647) });
export type ReleaseNumberInput = z.infer<typeof releaseNumberInput>;
