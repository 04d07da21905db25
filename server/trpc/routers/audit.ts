import "server-only";
import { checkpointAuditTrail } from "@/server/audit/checkpoints";
import { checkAuditTrail, listAuditEvents } from "@/server/audit/query";
import { listAuditEventsInput } from "@/server/audit/schemas";
import { adminProcedure, protectedProcedure, router } from "../init";

export const auditRouter = router({
  list: protectedProcedure.input(listAuditEventsInput).query(({ ctx, input }) => listAuditEvents({ ctx: ctx.service, input })),
  /** Organisation-wide callers only (the service checks): the chain's counts and head span every tenant. */
  verify: protectedProcedure.query(({ ctx }) => checkAuditTrail({ ctx: ctx.service })),
  /** Exports a signed checkpoint of the head now (the server also does it every AUDIT_CHECKPOINT_SECONDS). */
  checkpoint: adminProcedure.mutation(({ ctx }) => checkpointAuditTrail({ ctx: ctx.service })),
});
