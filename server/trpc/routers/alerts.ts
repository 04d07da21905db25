import "server-only";
// Alerts on observed traffic: everyone with a role reads; admins edit rules; approvers set silences (the services check too).
import { listAlerts } from "@/server/alerts/list";
import { createAlertRule, deleteAlertRule, updateAlertRule } from "@/server/alerts/rules";
import {
  alertRuleIdInput,
  alertRuleInput,
  createSilenceInput,
  endSilenceInput,
  listAlertsInput,
  updateAlertRuleInput,
} from "@/server/alerts/schemas";
import { createSilence, endSilence } from "@/server/alerts/silences";
import { adminProcedure, protectedProcedure, roleProcedure, router } from "../init";

const approverProcedure = roleProcedure("approver");

export const alertsRouter = router({
  list: protectedProcedure.input(listAlertsInput).query(({ ctx, input }) => listAlerts({ ctx: ctx.service, input })),
  createRule: adminProcedure.input(alertRuleInput).mutation(({ ctx, input }) => createAlertRule({ ctx: ctx.service, input })),
  updateRule: adminProcedure.input(updateAlertRuleInput).mutation(({ ctx, input }) => updateAlertRule({ ctx: ctx.service, input })),
  deleteRule: adminProcedure.input(alertRuleIdInput).mutation(({ ctx, input }) => deleteAlertRule({ ctx: ctx.service, input })),
  createSilence: approverProcedure.input(createSilenceInput).mutation(({ ctx, input }) => createSilence({ ctx: ctx.service, input })),
  endSilence: approverProcedure.input(endSilenceInput).mutation(({ ctx, input }) => endSilence({ ctx: ctx.service, input })),
});
