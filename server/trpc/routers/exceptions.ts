import "server-only";
// Exceptions (issue 14): every role holder reads what their tenants allow; authors request,
// approvers decide, approvers and admins revoke. Rights are checked in the services.
import { approveException, rejectException, revokeException } from "@/server/exceptions/decide";
import { exportExceptionsCsv, getException, listExceptions } from "@/server/exceptions/list";
import { prefillException } from "@/server/exceptions/prefill";
import { previewException, requestException } from "@/server/exceptions/request";
import {
  approveExceptionInput,
  decideExceptionInput,
  exceptionNumberInput,
  listExceptionsInput,
  prefillExceptionInput,
  previewExceptionInput,
  requestExceptionInput,
  setTestClockInput,
  previewExceptionRulesInput,
  updateExceptionSettingsInput,
} from "@/server/exceptions/schemas";
import { getExceptionSettings, updateExceptionSettings } from "@/server/exceptions/settings";
import { previewExceptionRules } from "@/server/exceptions/approval";
import { setTestClock } from "@/server/exceptions/test-clock";
import { adminProcedure, protectedProcedure, router } from "../init";

export const exceptionsRouter = router({
  list: protectedProcedure.input(listExceptionsInput).query(({ ctx, input }) => listExceptions({ ctx: ctx.service, input })),
  get: protectedProcedure.input(exceptionNumberInput).query(({ ctx, input }) => getException({ ctx: ctx.service, input })),
  exportCsv: protectedProcedure.input(listExceptionsInput).query(({ ctx, input }) => exportExceptionsCsv({ ctx: ctx.service, input })),
  preview: protectedProcedure.input(previewExceptionInput).query(({ ctx, input }) => previewException({ ctx: ctx.service, input })),
  prefill: protectedProcedure.input(prefillExceptionInput).query(({ ctx, input }) => prefillException({ ctx: ctx.service, input })),
  request: protectedProcedure.input(requestExceptionInput).mutation(({ ctx, input }) => requestException({ ctx: ctx.service, input })),
  approve: protectedProcedure.input(approveExceptionInput).mutation(({ ctx, input }) => approveException({ ctx: ctx.service, input })),
  reject: protectedProcedure.input(decideExceptionInput).mutation(({ ctx, input }) => rejectException({ ctx: ctx.service, input })),
  revoke: protectedProcedure.input(decideExceptionInput).mutation(({ ctx, input }) => revokeException({ ctx: ctx.service, input })),
  settings: protectedProcedure.query(({ ctx }) => getExceptionSettings({ ctx: ctx.service })),
  previewRules: adminProcedure
    .input(previewExceptionRulesInput)
    .query(({ ctx, input }) => previewExceptionRules({ ctx: ctx.service, input })),
  updateSettings: adminProcedure
    .input(updateExceptionSettingsInput)
    .mutation(({ ctx, input }) => updateExceptionSettings({ ctx: ctx.service, input })),
  /** Test servers only (POLICYPLANE_TEST_CLOCK=on): move the clock forward and sweep. */
  setTestClock: adminProcedure.input(setTestClockInput).mutation(({ ctx, input }) => setTestClock({ ctx: ctx.service, input })),
});
