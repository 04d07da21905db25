import { z } from "zod";
import { ENVIRONMENTS } from "@/lib/vocabulary";

export const releaseNumberInput = z.object({ number: z.number().int().min(1).max(2_147_483_647) });
export type ReleaseNumberInput = z.infer<typeof releaseNumberInput>;

export const createFreezeInput = z
  .object({
    environment: z.enum(ENVIRONMENTS),
    startsAt: z.coerce.date(),
    endsAt: z.coerce.date(),
    reason: z.string().trim().min(5, "Say why, in at least 5 characters").max(500),
  })
  .refine((f) => f.startsAt < f.endsAt, { path: ["endsAt"], message: "The freeze must end after it starts" });
export type CreateFreezeInput = z.infer<typeof createFreezeInput>;

export const endFreezeInput = z.object({ id: z.uuid() });
export type EndFreezeInput = z.infer<typeof endFreezeInput>;
/** Two releases to compare (either order: `from` is read as the earlier state). */
export const releaseDiffInput = z.object({ from: releaseNumberInput.shape.number, to: releaseNumberInput.shape.number });
export type ReleaseDiffInput = z.infer<typeof releaseDiffInput>;
