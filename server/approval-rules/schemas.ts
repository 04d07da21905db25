// Inputs of the approval-rule services (Settings → Approval rules).
import { z } from "zod";
import { POLICY_KINDS } from "@/db/schema/policy";
import { COMMITTEE_FUNCTIONS, TIERS } from "@/lib/vocabulary";

const ruleId = z.uuid("an approval rule id is a UUID");
const expectedVersion = z.number().int().min(1);

const requirement = z.object({
  function: z.enum(COMMITTEE_FUNCTIONS, { error: `A committee function is one of ${COMMITTEE_FUNCTIONS.join(", ")}` }),
  count: z
    .number()
    .int("A count is a whole number of people")
    .min(1, "A requirement asks for at least 1 approver (0 would ask for nothing)")
    .max(20, "At most 20 approvers of one function"),
  scope: z.enum(["owning-tenant", "organisation"]),
});

const match = z
  .object({
    tiers: z.array(z.enum(TIERS)).min(1, "Name at least one tier, or leave tiers out").max(TIERS.length).optional(),
    kinds: z.array(z.enum(POLICY_KINDS)).min(1, "Name at least one kind, or leave kinds out").max(POLICY_KINDS.length).optional(),
    loosensConstraint: z.boolean().optional(),
    emergency: z.boolean().optional(),
  })
  .strict();

export const approvalRuleFields = z.object({
  key: z
    .string()
    .trim()
    .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "A rule key is 1–63 lowercase letters, digits and dashes, starting with a letter or digit"),
  description: z.string().trim().max(500, "At most 500 characters").default(""),
  match,
  requirements: z.array(requirement).min(1, "A rule asks for at least one approval").max(8),
  enabled: z.boolean().default(true),
});
export type ApprovalRuleFields = z.infer<typeof approvalRuleFields>;

export const createApprovalRuleInput = approvalRuleFields;
export type CreateApprovalRuleInput = z.infer<typeof createApprovalRuleInput>;

export const updateApprovalRuleInput = approvalRuleFields.extend({
  id: ruleId,
  /** The version the admin edited: saving over someone else's edit is refused. */
  expectedVersion,
});
export type UpdateApprovalRuleInput = z.infer<typeof updateApprovalRuleInput>;

export const setApprovalRuleEnabledInput = z.object({ id: ruleId, enabled: z.boolean(), expectedVersion });
export type SetApprovalRuleEnabledInput = z.infer<typeof setApprovalRuleEnabledInput>;

export const deleteApprovalRuleInput = z.object({ id: ruleId, expectedVersion });
export type DeleteApprovalRuleInput = z.infer<typeof deleteApprovalRuleInput>;

/** A change request to preview, or a described change (one policy edit). */
export const previewApprovalRulesInput = z.union([
  z.object({ number: z.number().int().min(1).max(2_147_483_647) }),
  z.object({
    change: z.object({
      tier: z.enum(TIERS),
      kind: z.enum(POLICY_KINDS).default("Policy"),
      /** Tenant name (null: a policy of no tenant). */
      tenant: z.string().trim().min(1).max(63).nullable().default(null),
      loosensConstraint: z.boolean().default(false),
    }),
  }),
]);
export type PreviewApprovalRulesInput = z.infer<typeof previewApprovalRulesInput>;
