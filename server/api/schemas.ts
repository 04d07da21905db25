// The REST API's request bodies and replies, as zod schemas: the handlers parse and shape with them,
// and the OpenAPI document (./openapi.ts) is generated from them — one source of truth.
import { z } from "zod";
import { TOKEN_SCOPES } from "@/lib/vocabulary";
import { clusterStatusInput } from "@/server/releases/schemas";
import { approveChangeInput, createChangeRequestInput, rebaseChangeInput, releaseChangeInput } from "@/server/workflow/schemas";

export { decideInput, decideOutput } from "@/server/decide/schemas";
export { admissionReview } from "@/server/admission/schemas";
export { createChangeRequestInput };

/** Every error reply: a stable name clients match on, a sentence for people, and where the input was wrong. */
export const errorBody = z.object({
  error: z.enum(["InternalError", "NotFound", "Unauthenticated", "Forbidden", "Conflict", "TooLarge", "RateLimited", "InvalidInput"]),
  message: z.string(),
  requestId: z.string().optional(),
  field: z.string().optional().describe("InvalidInput: the dotted path of the field at fault."),
  position: z.object({ line: z.number().int(), column: z.number().int() }).optional(),
});

export const healthReply = z.object({
  status: z
    .enum(["ok", "degraded", "down"])
    .describe("degraded: the database is unreachable but the decision point serves the releases it loaded; down: nothing loaded."),
  database: z.literal("unreachable").optional(),
  databaseError: z.string().nullable().optional(),
  decide: z
    .object({ clusters: z.array(z.object({ cluster: z.string(), release: z.number().int(), loadedAt: z.iso.datetime() })) })
    .optional(),
});

export const whoamiReply = z.object({
  type: z.enum(["user", "token", "system"]),
  id: z.string().nullable(),
  label: z.string(),
  grants: z.array(z.object({ role: z.string(), tenantId: z.string().nullable() }).loose()),
});

export const changeRequestCreated = z.object({ number: z.number().int(), state: z.string(), contentHash: z.string() });

export const changeRequestReview = z.object({
  number: z.number().int(),
  state: z.string(),
  contentHash: z.string(),
  author: z.string(),
  required: z.array(
    z.object({
      rule: z.string(),
      function: z.string(),
      count: z.number().int(),
      tenant: z.string().optional(),
      givenBy: z.array(z.string()),
    }),
  ),
  approvals: z.array(z.object({ by: z.string(), function: z.string().nullable(), contentHash: z.string(), voided: z.boolean() })),
  satisfied: z.boolean(),
});

export const approveBody = approveChangeInput.omit({ number: true });
export const approvalGiven = z.object({
  number: z.number().int(),
  state: z.string(),
  contentHash: z.string(),
  approval: z.object({ by: z.string(), function: z.string() }).loose(),
});

export const releaseBody = releaseChangeInput.omit({ number: true });
export const releaseMade = z.object({ release: z.number().int() });

export const rebaseBody = rebaseChangeInput.omit({ number: true });
export const rebaseMade = z.object({
  number: z.number().int(),
  state: z.string(),
  contentHash: z.string().describe("The rebased content's hash: approvals given before are voided."),
  voided: z.number().int().describe("How many standing approvals the rebase voided."),
  rebased: z.array(
    z.object({
      policy: z.string(),
      proposedFrom: z.number().int().nullable(),
      base: z.number().int().nullable(),
      onto: z.number().int().nullable(),
      draft: z.number().int(),
      version: z.number().int().describe("The version the change now proposes (a new draft when the merge changed it)."),
      resolvedBy: z.enum(["merge", "author"]),
    }),
  ),
});
export const rebaseConflicts = errorBody.extend({
  conflicts: z
    .array(
      z.object({
        policy: z.string(),
        conflicts: z.number().int(),
        proposedFrom: z.number().int().nullable(),
        base: z.number().int().nullable(),
        onto: z.number().int().nullable().describe("Send it back as the resolution's `onto`."),
        draft: z.number().int(),
        withMarkers: z
          .string()
          .describe("The merge with each conflict between markers: resolve it and send it as the resolution's `yaml`."),
      }),
    )
    .optional()
    .describe("Present when the merge needs the author: each policy whose merge conflicts, not yet resolved in the request."),
});

export const clusterStatusBody = clusterStatusInput.omit({ number: true, cluster: true });
export const clusterStatusReply = z.object({}).loose().describe("The cluster's rollout state after the report.");

export const tokenScope = z.enum(TOKEN_SCOPES);
