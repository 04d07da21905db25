import "server-only";
// Approving (bound to the content hash the approver saw), rejecting and
// revoking an exception. Each is one transaction with its audit event.
import { eq } from "drizzle-orm";
import type { Database } from "@/db/client";
import { exceptionApprovals, exceptions, type ExceptionRow } from "@/db/schema";
import type { ExceptionState } from "@/lib/exceptions/vocabulary";
import { recordAudit } from "@/server/audit/record";
import { serverNow } from "@/server/clock";
import { withTransaction, type ServiceContext } from "@/server/context";
import { Conflict, violatedUniqueConstraint } from "@/server/errors";
import { findException, notifyPeople, requireExceptionReviewer, requireRevoker } from "./access";
import { reviewException } from "./approval";
import { recordPendingRerender, runPendingRerenders, type RerenderOptions } from "./rerender";
import { exceptionSettingsOf } from "./settings";
import type { ApproveExceptionInput, DecideExceptionInput } from "./schemas";

const label = (e: ExceptionRow) => `E-${e.number} ${e.title}`;

async function move(tx: ServiceContext, e: ExceptionRow, state: ExceptionState, reason: string | null) {
  const now = new Date();
  await tx.db
    .update(exceptions)
    .set({ state, decidedAt: now, decidedByLabel: tx.actor.label, decisionReason: reason, updatedAt: now })
    .where(eq(exceptions.id, e.id));
}

function requireState(e: ExceptionRow, allowed: ExceptionState[], verb: string) {
  if (!allowed.includes(e.state)) throw new Conflict(`E-${e.number} is ${e.state}: it cannot be ${verb}.`);
}

export async function approveException({ ctx, input }: { ctx: ServiceContext; input: ApproveExceptionInput }) {
  return withTransaction(ctx, async (tx) => {
    const e = await findException(tx.db, ctx.actor, input.number, true);
    const settings = await exceptionSettingsOf(tx.db);
    const review = await reviewException(tx.db, e, settings);
    const fillable = requireExceptionReviewer(ctx.actor, e, review, "approve");
    requireState(e, ["requested"], "approved");
    if (input.contentHash !== e.contentHash)
      throw new Conflict(
        `E-${e.number} changed since you viewed it: you approved content ${input.contentHash.slice(0, 12)}, but it is now ${e.contentHash.slice(0, 12)}. Reload it and approve what it says now.`,
      );
    if (e.expiresAt.getTime() <= serverNow().getTime())
      throw new Conflict(`E-${e.number} expired before it was approved; request a new one.`);
    const functions = [...new Set(fillable.map((s) => s.function))];
    await tx.db
      .insert(exceptionApprovals)
      .values({ exceptionId: e.id, approverId: ctx.actor.id, approverLabel: ctx.actor.label, functions, contentHash: e.contentHash })
      .catch((error: unknown) => {
        if (violatedUniqueConstraint(error) !== "exception_approvals_one_per_person") throw error;
        throw new Conflict(`You already approved E-${e.number}; one person counts once.`);
      });
    await recordAudit(tx, {
      action: "exception.approval_given",
      targetType: "exception",
      targetId: e.id,
      targetLabel: label(e),
      tenantId: e.tenantId,
      after: { contentHash: e.contentHash, functions, comment: input.comment },
    });
    const after = await reviewException(tx.db, e, settings);
    const approved = after.evaluation.satisfied;
    if (approved) {
      await move(tx, e, "approved", input.comment || null);
      await recordAudit(tx, {
        action: "exception.approved",
        targetType: "exception",
        targetId: e.id,
        targetLabel: label(e),
        tenantId: e.tenantId,
        before: { state: e.state },
        after: {
          state: "approved",
          contentHash: e.contentHash,
          startsAt: e.startsAt.toISOString(),
          expiresAt: e.expiresAt.toISOString(),
          approvedBy: after.evaluation.rules.map((r) => ({ rule: r.rule, by: r.required.flatMap((s) => s.givenBy) })),
        },
      });
      await notifyPeople(tx, "exception-decided", `Exception E-${e.number} “${e.title}” was approved`, e.number, [e.requesterId]);
    }
    return { number: e.number, state: approved ? ("approved" as const) : e.state, contentHash: e.contentHash };
  });
}

export async function rejectException({ ctx, input }: { ctx: ServiceContext; input: DecideExceptionInput }) {
  return withTransaction(ctx, async (tx) => {
    const e = await findException(tx.db, ctx.actor, input.number, true);
    const review = await reviewException(tx.db, e, await exceptionSettingsOf(tx.db));
    requireExceptionReviewer(ctx.actor, e, review, "reject");
    requireState(e, ["requested"], "rejected");
    await move(tx, e, "rejected", input.reason || null);
    await recordAudit(tx, {
      action: "exception.rejected",
      targetType: "exception",
      targetId: e.id,
      targetLabel: label(e),
      tenantId: e.tenantId,
      before: { state: e.state },
      after: { state: "rejected", reason: input.reason },
    });
    await notifyPeople(
      tx,
      "exception-decided",
      `${ctx.actor.label} rejected exception E-${e.number} “${e.title}”${input.reason ? `: ${input.reason}` : ""}`,
      e.number,
      [e.requesterId],
    );
    return { number: e.number, state: "rejected" as const };
  });
}

/** Takes effect at once: the next decision no longer counts it (it is no longer an approved document). */
export async function revokeException({
  ctx,
  input,
  rerender = {},
}: {
  ctx: ServiceContext;
  input: DecideExceptionInput;
  rerender?: RerenderOptions;
}) {
  const at = serverNow();
  let revoked: ExceptionRow | null = null;
  const result = await withTransaction(ctx, async (tx) => {
    const e = await findException(tx.db, ctx.actor, input.number, true);
    const approvals = await tx.db.select().from(exceptionApprovals).where(eq(exceptionApprovals.exceptionId, e.id));
    requireRevoker(
      ctx.actor,
      e,
      approvals.map((a) => a.approverId),
    );
    requireState(e, ["approved"], "revoked");
    await move(tx, e, "revoked", input.reason || null);
    await recordAudit(tx, {
      action: "exception.revoked",
      targetType: "exception",
      targetId: e.id,
      targetLabel: label(e),
      tenantId: e.tenantId,
      before: { state: e.state },
      after: { state: "revoked", reason: input.reason, at: serverNow().toISOString() },
    });
    await notifyPeople(
      tx,
      "exception-decided",
      `${ctx.actor.label} revoked exception E-${e.number} “${e.title}”${input.reason ? `: ${input.reason}` : ""}`,
      e.number,
      [e.requesterId],
    );
    await recordPendingRerender(tx.db, e.id, "revoked", at);
    revoked = e;
    return { number: e.number, state: "revoked" as const };
  });
  // After the commit: the clusters' desired state loses the exception (server/exceptions/rerender.ts). If that
  // throws, the revocation stands and its pending re-render is retried by the sweeper.
  const run = await runPendingRerenders(ctx.db as Database, at, rerender, { exceptionId: revoked!.id, event: "revoked" });
  const done = run.rerendered[0];
  return {
    ...result,
    rerendered: done
      ? { clusters: done.clusters, gitopsCommit: done.gitopsCommit, pending: null }
      : { clusters: [], gitopsCommit: null, pending: run.failed[0]?.error ?? "another replica is re-rendering it" },
  };
}
