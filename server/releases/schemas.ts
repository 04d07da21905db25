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

/** A cluster's report on the release it was given (REST: POST /api/v1/releases/{number}/clusters/{cluster}/status). */
export const clusterStatusInput = z.object({
  number: z.number().int().min(1).max(2_147_483_647),
  cluster: z.string().trim().min(1).max(253),
  status: z.enum(["applied", "failed"], { message: 'status is "applied" or "failed"' }),
  message: z.string().trim().max(2000, "At most 2,000 characters").optional(),
});
export type ClusterStatusInput = z.infer<typeof clusterStatusInput>;

/** Roll back: propose a new release equal to release `release`, for approval like any change. */
export const rollbackInput = z.object({
  release: z.number().int().min(1).max(2_147_483_647),
  reason: z.string().trim().min(10, "Say why, in at least 10 characters").max(2000),
});
export type RollbackInput = z.infer<typeof rollbackInput>;

export const acknowledgeReviewInput = z.object({
  number: z.number().int().min(1).max(2_147_483_647),
  note: z.string().trim().min(5, "Say what the review found, in at least 5 characters").max(2000),
});
export type AcknowledgeReviewInput = z.infer<typeof acknowledgeReviewInput>;
