// Inputs of the draft services (editing, analysing and listing policies), one
// schema each; the types the services take are inferred from them.
import { z } from "zod";

export const policyName = z.string().trim().min(1).max(63);
const yaml = z.string().max(200_000, "The YAML is too long (at most 200,000 characters)");

export const listPoliciesInput = z.object({ search: z.string().max(200).optional() });
export type ListPoliciesInput = z.infer<typeof listPoliciesInput>;

export const getPolicyInput = z.object({ name: policyName });
export type GetPolicyInput = z.infer<typeof getPolicyInput>;

export const analyseDraftInput = z.object({
  yaml,
  /** Cluster to compile for; default: the first the policy applies to. */
  cluster: z.string().max(63).optional(),
  target: z.enum(["anp", "cnp-v1alpha2"]).optional(),
});
export type AnalyseDraftInput = z.infer<typeof analyseDraftInput>;

export const saveDraftInput = z.object({
  /** The policy being edited; null for a new policy (its name comes from the YAML). */
  policyName: policyName.nullable(),
  /** The version the editor started from: saving over a newer version is refused. */
  baseVersion: z.number().int().min(1).nullable(),
  yaml,
  message: z.string().max(500).default(""),
});
export type SaveDraftInput = z.infer<typeof saveDraftInput>;

export const restoreVersionInput = z.object({ policyName, version: z.number().int().min(1) });
export type RestoreVersionInput = z.infer<typeof restoreVersionInput>;

/** A template, its parameter values, and the policy's name (default: the name the template makes from the values). */
export const createFromTemplateInput = z.object({
  template: z.string().min(1).max(100),
  values: z.record(
    z.string().max(100),
    z.union([z.string().max(500), z.number().int(), z.boolean(), z.array(z.string().max(500)).max(100)]),
  ),
  name: policyName.optional(),
});
export type CreateFromTemplateInput = z.infer<typeof createFromTemplateInput>;
