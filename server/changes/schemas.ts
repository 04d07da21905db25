// Inputs of the change request services.
import { z } from "zod";
import { policyName } from "@/server/drafts/schemas";
import { COMPILE_TARGETS } from "@/server/policy/compile/compile";

export const proposeChangeInput = z.object({
  title: z.string().trim().min(1, "Give the change a title").max(200),
  description: z.string().max(5000).default(""),
  policies: z.array(policyName).min(1, "Choose at least one drafted policy").max(100),
});
export type ProposeChangeInput = z.infer<typeof proposeChangeInput>;

export const getChangeInput = z.object({ number: z.number().int().min(1) });
export type GetChangeInput = z.infer<typeof getChangeInput>;

export const changeCompiledDiffInput = getChangeInput.extend({
  cluster: z.string().min(1).max(120).optional(),
  target: z.enum(COMPILE_TARGETS).default("anp"),
});
export type ChangeCompiledDiffInput = z.infer<typeof changeCompiledDiffInput>;
