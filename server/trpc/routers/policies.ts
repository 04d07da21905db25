import "server-only";
import { z } from "zod";
import { analyseDraft } from "@/server/policies/analyse";
import { createFromTemplate, previewTemplate } from "@/server/policies/create-from-template";
import { getPolicy } from "@/server/policies/get";
import { editorInventory } from "@/server/policies/inventory";
import { listPolicies, listProposableDrafts } from "@/server/policies/list";
import { proposeChange } from "@/server/policies/propose-change";
import { restoreVersion } from "@/server/policies/restore-version";
import { saveDraft } from "@/server/policies/save-draft";
import { listTemplates } from "@/server/policies/templates";
import { protectedProcedure, router } from "../init";

const policyName = z.string().trim().min(1).max(63);
const yaml = z.string().max(200_000, "The YAML is too long (at most 200,000 characters)");
const templateInput = z.object({
  template: z.string().min(1).max(100),
  values: z.record(z.string().max(100), z.union([z.string().max(500), z.number().int(), z.boolean(), z.array(z.string().max(500)).max(100)])),
  name: policyName.optional(),
});

// Rights are checked in the services, which know the policy's tier and tenant.
export const policiesRouter = router({
  list: protectedProcedure.input(z.object({ search: z.string().max(200).optional() })).query(({ ctx, input }) => listPolicies({ ctx: ctx.service, input })),
  get: protectedProcedure.input(z.object({ name: policyName })).query(({ ctx, input }) => getPolicy({ ctx: ctx.service, input })),
  inventory: protectedProcedure.query(({ ctx }) => editorInventory({ ctx: ctx.service })),
  analyse: protectedProcedure
    .input(z.object({ yaml, cluster: z.string().max(63).optional(), target: z.enum(["anp", "cnp-v1alpha2"]).optional() }))
    .query(({ ctx, input }) => analyseDraft({ ctx: ctx.service, input })),
  templates: protectedProcedure.query(() => listTemplates()),
  drafts: protectedProcedure.query(({ ctx }) => listProposableDrafts({ ctx: ctx.service })),
  saveDraft: protectedProcedure
    .input(z.object({ policyName: policyName.nullable(), baseVersion: z.number().int().min(1).nullable(), yaml, message: z.string().max(500).default("") }))
    .mutation(({ ctx, input }) => saveDraft({ ctx: ctx.service, input })),
  restoreVersion: protectedProcedure
    .input(z.object({ policyName, version: z.number().int().min(1) }))
    .mutation(({ ctx, input }) => restoreVersion({ ctx: ctx.service, input })),
  createFromTemplate: protectedProcedure.input(templateInput).mutation(({ ctx, input }) => createFromTemplate({ ctx: ctx.service, input })),
  templatePreview: protectedProcedure.input(templateInput).query(({ ctx, input }) => previewTemplate({ ctx: ctx.service, input })),
  proposeChange: protectedProcedure
    .input(
      z.object({
        title: z.string().trim().min(1, "Give the change a title").max(200),
        description: z.string().max(5000).default(""),
        policies: z.array(policyName).min(1, "Choose at least one drafted policy").max(100),
      }),
    )
    .mutation(({ ctx, input }) => proposeChange({ ctx: ctx.service, input })),
});
