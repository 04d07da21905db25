import "server-only";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { exportCheckpoint } from "@/server/audit/checkpoints";
import { auditSettings } from "@/server/audit/keys";
import { listAuditEvents, verifyAuditTrail } from "@/server/audit/query";
import { readableTenantIds } from "@/server/auth/authorize";
import { adminProcedure, protectedProcedure, router } from "../init";

const PAGE = 50;

/**
 * The chain spans every tenant (its counts and head hash are organisation-wide):
 * only callers with an organisation-wide grant (auditors, admins) may check it.
 */
const organisationReaderProcedure = protectedProcedure.use(({ ctx, next }) => {
  if (readableTenantIds(ctx.actor) !== undefined) {
    throw new TRPCError({ code: "FORBIDDEN", message: `Verifying the audit chain needs an organisation-wide role (auditor or admin); you are signed in as ${ctx.actor.label}.` });
  }
  return next();
});

export const auditRouter = router({
  list: protectedProcedure
    .input(
      z
        .object({
          actor: z.string().trim().max(200).optional(),
          action: z.string().trim().max(100).optional(),
          target: z.string().trim().max(200).optional(),
          from: z.date().optional(),
          to: z.date().optional(),
          cursor: z.number().int().positive().optional(),
        })
        .refine((f) => !f.from || !f.to || f.from <= f.to, { message: "The start of the range is after its end", path: ["from"] }),
    )
    .query(async ({ ctx, input }) => {
      const { cursor, ...filter } = input;
      const rows = await listAuditEvents(ctx.db, { ...filter, beforeSeq: cursor, tenantIds: readableTenantIds(ctx.actor), limit: PAGE + 1 });
      return { events: rows.slice(0, PAGE), nextBeforeSeq: rows.length > PAGE ? rows[PAGE - 1]!.seq : null };
    }),
  verify: organisationReaderProcedure.query(async ({ ctx }) => ({ ...(await verifyAuditTrail(ctx.db)), verifiedAt: new Date() })),
  /** Exports a signed checkpoint of the head now (the server also does it every AUDIT_CHECKPOINT_SECONDS). */
  checkpoint: adminProcedure.mutation(async ({ ctx }) => {
    const { seq, hash, at } = await exportCheckpoint(ctx.db, auditSettings(), { actor: ctx.actor, requestId: ctx.requestId });
    return { seq, hash, at };
  }),
});
