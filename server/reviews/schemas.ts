// Inputs of the review services (queue and timeline).
import { z } from "zod";

export const timelineInput = z.object({ number: z.number().int().min(1).max(2_147_483_647) });
export type TimelineInput = z.infer<typeof timelineInput>;
