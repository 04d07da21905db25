import "server-only";
import { proposeChange } from "@/server/changes/propose-change";
import { proposeChangeInput } from "@/server/changes/schemas";
import { analyseDraft } from "@/server/drafts/analyse";
import { createFromTemplate, previewTemplate } from "@/server/drafts/create-from-template";
import { getPolicy } from "@/server/drafts/get";
import { editorInventory } from "@/server/drafts/inventory";
import { listPolicies, listProposableDrafts } from "@/server/drafts/list";
import { restoreVersion } from "@/server/drafts/restore-version";
import { saveDraft } from "@/server/drafts/save-draft";
import {
  analyseDraftInput,
  createFromTemplateInput,
  getPolicyInput,
  listPoliciesInput,
  restoreVersionInput,
  saveDraftInput,
} from "@/server/drafts/schemas";
import { listTemplates } from "@/server/drafts/templates";
import { protectedProcedure, router } from "../init";

// Rights are checked in the services, which know the policy's tier and tenant.
export const policiesRouter = router({
  list: protectedProcedure.input(listPoliciesInput).query(({ ctx, input }) => listPolicies({ ctx: ctx.service, input })),
  get: protectedProcedure.input(getPolicyInput).query(({ ctx, input }) => getPolicy({ ctx: ctx.service, input })),
  inventory: protectedProcedure.query(({ ctx }) => editorInventory({ ctx: ctx.service })),
  analyse: protectedProcedure.input(analyseDraftInput).query(({ ctx, input }) => analyseDraft({ ctx: ctx.service, input })),
  templates: protectedProcedure.query(({ ctx }) => listTemplates({ ctx: ctx.service })),
  drafts: protectedProcedure.query(({ ctx }) => listProposableDrafts({ ctx: ctx.service })),
  saveDraft: protectedProcedure.input(saveDraftInput).mutation(({ ctx, input }) => saveDraft({ ctx: ctx.service, input })),
  restoreVersion: protectedProcedure.input(restoreVersionInput).mutation(({ ctx, input }) => restoreVersion({ ctx: ctx.service, input })),
  createFromTemplate: protectedProcedure
    .input(createFromTemplateInput)
    .mutation(({ ctx, input }) => createFromTemplate({ ctx: ctx.service, input })),
  templatePreview: protectedProcedure
    .input(createFromTemplateInput)
    .query(({ ctx, input }) => previewTemplate({ ctx: ctx.service, input })),
  proposeChange: protectedProcedure.input(proposeChangeInput).mutation(({ ctx, input }) => proposeChange({ ctx: ctx.service, input })),
});
