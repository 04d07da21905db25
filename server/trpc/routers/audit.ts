import "server-only";
import { checkpointAuditTrail } from "@/server/audit/checkpoints";
import { listAuditEvents } from "@/server/audit/query";
import { checkAuditTrail, verifyAuditTrailInFull } from "@/server/audit/verifications";
import { listAuditEventsInput } from "@/server/audit/schemas";
import { adminProcedure, protectedProcedure, router } from "../init";

export const auditRouter = router({
  list: protectedProcedure.input(listAuditEventsInput).query(({ ctx, input }) => listAuditEvents({ ctx: ctx.service, input })),
  /** Organisation-wide callers only (the service checks): the chain's counts and head span every tenant. */
  /** Incremental: from the last stored verification on (a full walk the first time). */
  verify: protectedProcedure.query(({ ctx }) => checkAuditTrail({ ctx: ctx.service })),
  /** "Verify everything": re-hashes the whole chain and records the verdict in the trail. */
  verifyAll: protectedProcedure.mutation(({ ctx }) => verifyAuditTrailInFull({ ctx: ctx.service })),
  /** Exports a signed checkpoint of the head now (the server also does it every AUDIT_CHECKPOINT_SECONDS). */
  checkpoint: adminProcedure.mutation(({ ctx }) => checkpointAuditTrail({ ctx: ctx.service })),
});
