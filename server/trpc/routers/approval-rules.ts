import "server-only";
// Approval rules as data (issue 13 item 3): every role holder reads them (the checklist names
// them); admins edit them and preview which rules a change hits. Rights are checked in the services too.
import { listApprovalRules } from "@/server/approval-rules/list";
import { previewApprovalRules } from "@/server/approval-rules/preview";
import { createApprovalRule, deleteApprovalRule, setApprovalRuleEnabled, updateApprovalRule } from "@/server/approval-rules/save";
import {
  createApprovalRuleInput,
  deleteApprovalRuleInput,
  previewApprovalRulesInput,
  setApprovalRuleEnabledInput,
  updateApprovalRuleInput,
} from "@/server/approval-rules/schemas";
import { adminProcedure, protectedProcedure, router } from "../init";

export const approvalRulesRouter = router({
  list: protectedProcedure.query(({ ctx }) => listApprovalRules({ ctx: ctx.service })),
  preview: adminProcedure.input(previewApprovalRulesInput).query(({ ctx, input }) => previewApprovalRules({ ctx: ctx.service, input })),
  create: adminProcedure.input(createApprovalRuleInput).mutation(({ ctx, input }) => createApprovalRule({ ctx: ctx.service, input })),
  update: adminProcedure.input(updateApprovalRuleInput).mutation(({ ctx, input }) => updateApprovalRule({ ctx: ctx.service, input })),
  setEnabled: adminProcedure
    .input(setApprovalRuleEnabledInput)
    .mutation(({ ctx, input }) => setApprovalRuleEnabled({ ctx: ctx.service, input })),
  delete: adminProcedure.input(deleteApprovalRuleInput).mutation(({ ctx, input }) => deleteApprovalRule({ ctx: ctx.service, input })),
});
