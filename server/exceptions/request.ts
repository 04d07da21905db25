import "server-only";
// Requesting an exception (or renewing one: a new request that links the old).
// Every check runs before anything is written; the request and its audit event
// are one transaction.
import { exceptions } from "@/db/schema";
import { recordAudit } from "@/server/audit/record";
import { mayDraftSomewhere, mayReadTenant, requireRole } from "@/server/auth/authorize";
import { serverNow } from "@/server/clock";
import { withTransaction, type ServiceContext } from "@/server/context";
import { Forbidden, InvalidInput } from "@/server/errors";
import { namespaces } from "@/db/schema";
import { contentHash } from "@/server/lib/canonical";
import { approverIdsFor, notifyPeople, exceptionAuditTarget } from "./access";
import { exceptionRuleData } from "./approval";
import { checkException } from "./check";
import type { PreviewExceptionInput, RequestExceptionInput } from "./schemas";

export function exceptionContentHash(e: {
  title: string;
  flow: unknown;
  justification: string;
  ticket: string;
  startsAt: Date;
  expiresAt: Date;
}): string {
  return contentHash({
    title: e.title,
    flow: e.flow,
    justification: e.justification,
    ticket: e.ticket,
    startsAt: e.startsAt.toISOString(),
    expiresAt: e.expiresAt.toISOString(),
  });
}

/** The form's live answer: the pod pairs it would open, the constraints that forbid it, every problem and warning. */
export async function previewException({ ctx, input }: { ctx: ServiceContext; input: PreviewExceptionInput }) {
  const check = await checkException(
    ctx.db,
    {
      flow: input.flow,
      startsAt: new Date(input.startsAt),
      expiresAt: new Date(input.expiresAt),
      ...(input.renews ? { renews: input.renews } : {}),
    },
    serverNow(),
  );
  const rules = exceptionRuleData(check.settings, check.production);
  // Workload names of tenants the person may not read are not shown (namespace names are public addresses).
  const tenantOf = new Map(
    (await ctx.db.select({ name: namespaces.name, tenantId: namespaces.tenantId }).from(namespaces)).map((n) => [n.name, n.tenantId]),
  );
  const shown = (endpoint: string) => {
    const [ns, rest] = endpoint.split("/");
    if (rest === undefined || !tenantOf.has(ns!)) return endpoint;
    return mayReadTenant(ctx.actor, tenantOf.get(ns!) ?? null) ? endpoint : `${ns}/(another tenant's workload)`;
  };
  const redact = <T extends { from: string; to: string }>(p: T): T => ({ ...p, from: shown(p.from), to: shown(p.to) });
  return {
    problems: check.problems,
    warnings: check.warnings,
    production: check.production,
    rules: rules.map((r) => ({ key: r.key, description: r.description, requirements: r.requirements })),
    clusters: check.effects.map((e) => ({
      cluster: e.cluster,
      opens: e.opens.map(redact),
      alreadyAllowed: e.alreadyAllowed,
      forbiddenBy: e.forbiddenBy.map((f) => ({ constraint: f.constraint, pair: redact(f.pair) })),
    })),
  };
}

export async function requestException({ ctx, input }: { ctx: ServiceContext; input: RequestExceptionInput }) {
  if (!mayDraftSomewhere(ctx.actor.grants))
    throw new Forbidden(`Requesting an exception needs the author role; you are signed in as ${ctx.actor.label}.`);
  const startsAt = new Date(input.startsAt);
  const expiresAt = new Date(input.expiresAt);
  const check = await checkException(
    ctx.db,
    { flow: input.flow, startsAt, expiresAt, ...(input.renews ? { renews: input.renews } : {}) },
    serverNow(),
  );
  requireRole(ctx.actor, "author", check.tenantId);
  const first = check.problems[0];
  if (first) throw new InvalidInput(first.message, first.field);
  return withTransaction(ctx, async (tx) => {
    const hash = exceptionContentHash({ ...input, startsAt, expiresAt });
    const [row] = await tx.db
      .insert(exceptions)
      .values({
        title: input.title,
        tenantId: check.tenantId,
        flow: input.flow,
        justification: input.justification,
        ticket: input.ticket,
        startsAt,
        expiresAt,
        contentHash: hash,
        requesterId: ctx.actor.id,
        requesterLabel: ctx.actor.label,
        renewsId: check.renews?.id ?? null,
        renewalDepth: check.renewalDepth,
        production: check.production,
      })
      .returning();
    const e = row!;
    await recordAudit(tx, {
      action: check.renews ? "exception.renewal_requested" : "exception.requested",
      ...exceptionAuditTarget(e),
      after: {
        flow: e.flow,
        startsAt: e.startsAt.toISOString(),
        expiresAt: e.expiresAt.toISOString(),
        ticket: e.ticket,
        contentHash: hash,
        production: e.production,
        ...(check.renews ? { renews: `E-${check.renews.number}` } : {}),
        warnings: check.warnings,
      },
    });
    const functions = exceptionRuleData(check.settings, e.production).flatMap((r) => r.requirements.map((q) => q.function));
    await notifyPeople(
      tx,
      "exception-wanted",
      `${ctx.actor.label} requests exception E-${e.number} “${e.title}”`,
      e.number,
      await approverIdsFor(tx.db, functions),
    );
    return { number: e.number, state: e.state, contentHash: hash, warnings: check.warnings };
  });
}
