// Inputs of the workflow services, shared by the tRPC routers and the REST handlers.
import { z } from "zod";

const policyName = z.string().trim().min(1).max(63);
const changeNumber = z.number().int().min(1).max(2_147_483_647);
const hash = z.string().regex(/^[0-9a-f]{64}$/, "a content hash is 64 lowercase hex characters");
/** A reason given with a decision; written to the audit trail. */
const reason = z.string().trim().max(2000, "At most 2,000 characters").default("");

export const changeNumberInput = z.object({ number: changeNumber });
export type ChangeNumberInput = z.infer<typeof changeNumberInput>;

export const approveChangeInput = z.object({
  number: changeNumber,
  /** The content hash the approver saw: approving anything else is refused. */
  contentHash: hash,
  comment: reason,
});
export type ApproveChangeInput = z.infer<typeof approveChangeInput>;

export const decideChangeInput = z.object({
  number: changeNumber,
  /** The content hash the person saw, when they decided from a view of it. */
  contentHash: hash.optional(),
  reason,
});
export type DecideChangeInput = z.infer<typeof decideChangeInput>;

export const editChangeInput = z.object({
  number: changeNumber,
  /** The content hash the editor started from: editing over someone else's edit is refused. */
  contentHash: hash,
  title: z.string().trim().min(1, "Give the change a title").max(200).optional(),
  description: z.string().max(5000).optional(),
  /** The policies the change carries from now on (each at its latest draft); default: the same ones. */
  policies: z.array(policyName).min(1, "Keep at least one policy").max(100).optional(),
});
export type EditChangeInput = z.infer<typeof editChangeInput>;

export const createChangeRequestInput = z.object({
  title: z.string().trim().min(1, "Give the change a title").max(200),
  description: z.string().max(5000).default(""),
  documents: z
    .array(z.string().min(1, "an empty document").max(200_000, "a document is at most 200,000 characters"))
    .min(1, "Send at least one document")
    .max(100),
  /** Keep it as a draft instead of submitting it for review. */
  draft: z.boolean().default(false),
});
export type CreateChangeRequestInput = z.infer<typeof createChangeRequestInput>;

export const releaseChangeInput = z.object({
  number: changeNumber,
  /** Release through the emergency rule (its quorum instead of the others', through a freeze), saying why. */
  emergency: z.object({ reason: z.string().trim().min(10, "Say why this cannot wait, in at least 10 characters").max(2000) }).optional(),
});
export type ReleaseChangeInput = z.infer<typeof releaseChangeInput>;

export const rebaseChangeInput = z.object({
  number: changeNumber,
  /** The content hash the author started from: rebasing over someone else's edit is refused. */
  contentHash: hash,
  /** The author's YAML for each policy whose merge had conflicts (or that they chose to adjust), and the release it resolves onto. */
  resolutions: z
    .array(
      z.object({
        policy: policyName,
        /** The released version the author resolved against (null: the release took the policy out). */
        onto: z.number().int().min(1).nullable(),
        yaml: z.string().min(1, "an empty document").max(200_000, "a document is at most 200,000 characters"),
      }),
    )
    .max(100)
    .default([]),
});
export type RebaseChangeInput = z.infer<typeof rebaseChangeInput>;

export const setStagedInput = z.object({
  number: changeNumber,
  /** The content hash the person saw: staging over someone else's edit is refused. */
  contentHash: hash,
  /** Staged: its release enforces nothing and renders audit-only objects where the cluster can (issue 13 §11). */
  staged: z.boolean(),
});
export type SetStagedInput = z.infer<typeof setStagedInput>;

export const promoteChangeInput = z.object({
  number: changeNumber,
  /** The new change's title (default: the staged change's, marked as its promotion). */
  title: z.string().trim().min(1, "Give the change a title").max(200).optional(),
});
export type PromoteChangeInput = z.infer<typeof promoteChangeInput>;
