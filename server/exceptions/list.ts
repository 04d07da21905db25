import "server-only";
// Reading exceptions: the list with filters (what the actor may read), one
// exception with its approval checklist, and the CSV export for auditors.
import { and, desc, eq, ilike, inArray, isNull, or } from "drizzle-orm";
import { exceptionApprovals, exceptions, type ExceptionRow } from "@/db/schema";
import { mayReadTenant, readableTenantIds } from "@/server/auth/authorize";
import { serverNow, testClockEnabled } from "@/server/clock";
import type { ServiceContext } from "@/server/context";
import { mayFill } from "@/server/workflow/rules";
import { hasRole } from "@/server/auth/authorize";
import { findException } from "./access";
import { reviewException } from "./approval";
import { stillEnforcedIn } from "./rerender";
import { exceptionSettingsOf } from "./settings";
import { exceptionUsage, type ExceptionUsage } from "./usage";
import type { ExceptionNumberInput, ListExceptionsInput } from "./schemas";

export interface ExceptionSummary {
  number: number;
  title: string;
  state: ExceptionRow["state"];
  flow: ExceptionRow["flow"];
  ticket: string;
  justification: string;
  startsAt: string;
  expiresAt: string;
  requester: string;
  production: boolean;
  renews: number | null;
  renewalDepth: number;
  decidedBy: string | null;
  decidedAt: string | null;
  decisionReason: string | null;
  createdAt: string;
  contentHash: string;
  /**
   * Expired or revoked, but clusters may still enforce it (Kubernetes does not expire objects): those
   * its re-render reached whose last observed state still has its objects or that have not reported since.
   */
  stillEnforcedIn: string[];
  /** Whether it was actually used: observed flows only it allowed (near-misses), per cluster. */
  usage: ExceptionUsage;
}

function summary(
  e: ExceptionRow,
  renews: Map<string, number>,
  still: Map<string, string[]>,
  usage: Map<number, ExceptionUsage>,
): ExceptionSummary {
  return {
    number: e.number,
    title: e.title,
    state: e.state,
    flow: e.flow,
    ticket: e.ticket,
    justification: e.justification,
    startsAt: e.startsAt.toISOString(),
    expiresAt: e.expiresAt.toISOString(),
    requester: e.requesterLabel,
    production: e.production,
    renews: e.renewsId ? (renews.get(e.renewsId) ?? null) : null,
    renewalDepth: e.renewalDepth,
    decidedBy: e.decidedByLabel,
    decidedAt: e.decidedAt?.toISOString() ?? null,
    decisionReason: e.decisionReason,
    createdAt: e.createdAt.toISOString(),
    contentHash: e.contentHash,
    stillEnforcedIn: still.get(e.id) ?? [],
    usage: usage.get(e.number) ?? { flows: 0, lastSeen: null, clusters: [] },
  };
}

export async function listExceptions({ ctx, input }: { ctx: ServiceContext; input: ListExceptionsInput }) {
  const readable = readableTenantIds(ctx.actor);
  const where = and(
    input.states && input.states.length > 0 ? inArray(exceptions.state, input.states) : undefined,
    readable === undefined
      ? undefined
      : or(isNull(exceptions.tenantId), readable.length > 0 ? inArray(exceptions.tenantId, readable) : undefined),
    input.requester ? ilike(exceptions.requesterLabel, `%${input.requester.replace(/[%_\\]/g, "\\$&")}%`) : undefined,
  );
  const rows = await ctx.db.select().from(exceptions).where(where).orderBy(desc(exceptions.number)).limit(1000);
  const numbers = new Map(rows.map((r) => [r.id, r.number]));
  const filtered = input.namespace
    ? rows.filter(
        (r) =>
          r.flow.source.namespace === input.namespace ||
          (r.flow.destination.kind === "workload" && r.flow.destination.namespace === input.namespace),
      )
    : rows;
  const [still, usage] = await Promise.all([
    stillEnforcedIn(
      ctx.db,
      filtered.filter((e) => e.state === "expired" || e.state === "revoked"),
    ),
    exceptionUsage(
      ctx.db,
      filtered.filter((e) => e.state !== "requested" && e.state !== "rejected"),
    ),
  ]);
  return {
    now: serverNow().toISOString(),
    testClock: testClockEnabled(),
    mayRequest: hasRole(ctx.actor, "author") || ctx.actor.grants.some((g) => g.role !== "viewer"),
    isAdmin: hasRole(ctx.actor, "admin"),
    exceptions: filtered.map((e) => summary(e, numbers, still, usage)),
  };
}

export async function getException({ ctx, input }: { ctx: ServiceContext; input: ExceptionNumberInput }) {
  const e = await findException(ctx.db, ctx.actor, input.number);
  const settings = await exceptionSettingsOf(ctx.db);
  const review = await reviewException(ctx.db, e, settings);
  const all = await ctx.db.select().from(exceptionApprovals).where(eq(exceptionApprovals.exceptionId, e.id));
  const renews = e.renewsId
    ? await ctx.db.select({ id: exceptions.id, number: exceptions.number }).from(exceptions).where(eq(exceptions.id, e.renewsId))
    : [];
  const slots = review.evaluation.rules.flatMap((r) => r.required);
  const still = e.state === "expired" || e.state === "revoked" ? await stillEnforcedIn(ctx.db, [e]) : new Map<string, string[]>();
  const mine = ctx.actor.id !== null && ctx.actor.id === e.requesterId;
  return {
    ...summary(e, new Map(renews.map((r) => [r.id, r.number])), still, await exceptionUsage(ctx.db, [e])),
    checklist: review.evaluation.rules.map((r) => ({
      rule: r.rule,
      description: r.description,
      satisfied: r.satisfied,
      required: r.required.map((s) => ({ function: s.function, count: s.count, givenBy: s.givenBy })),
    })),
    approvals: all.map((a) => ({
      by: a.approverLabel,
      functions: a.functions,
      at: a.createdAt.toISOString(),
      current: a.contentHash === e.contentHash,
    })),
    mayApprove:
      e.state === "requested" &&
      !mine &&
      slots.some((s) => mayFill(ctx.actor.grants, s)) &&
      !all.some((a) => a.approverId === ctx.actor.id && a.contentHash === e.contentHash),
    mayRevoke:
      e.state === "approved" && (hasRole(ctx.actor, "admin") || (!!ctx.actor.id && all.some((a) => a.approverId === ctx.actor.id))),
    mayRenew:
      (e.state === "approved" || e.state === "expired") && mayReadTenant(ctx.actor, e.tenantId) && hasRole(ctx.actor, "author", e.tenantId),
  };
}

const CSV_COLUMNS = [
  "number",
  "title",
  "state",
  "direction",
  "source",
  "destination",
  "ports",
  "startsAt",
  "expiresAt",
  "requester",
  "ticket",
  "decidedBy",
  "decidedAt",
  "decisionReason",
  "renews",
  "usedFlows",
  "lastUsed",
  "usedInClusters",
  "stillEnforcedIn",
  "justification",
] as const;

/** RFC 4180 quoting; a leading = + - @ is prefixed so a spreadsheet never runs it as a formula. */
export function csvCell(value: unknown): string {
  let s = value === null || value === undefined ? "" : String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function destinationText(flow: ExceptionRow["flow"]): string {
  const d = flow.destination;
  if (d.kind === "workload")
    return `${d.namespace}${Object.entries(d.labels)
      .map(([k, v]) => ` ${k}=${v}`)
      .join("")}`;
  return d.kind === "service" ? d.service : d.kind === "cidr" ? d.cidr : d.dns;
}

export function sourceText(flow: ExceptionRow["flow"]): string {
  return `${flow.source.namespace}${Object.entries(flow.source.labels)
    .map(([k, v]) => ` ${k}=${v}`)
    .join("")}`;
}

export async function exportExceptionsCsv({ ctx, input }: { ctx: ServiceContext; input: ListExceptionsInput }) {
  const { exceptions: list } = await listExceptions({ ctx, input });
  const lines = [CSV_COLUMNS.join(",")];
  for (const e of list)
    lines.push(
      [
        `E-${e.number}`,
        e.title,
        e.state,
        e.flow.direction,
        sourceText(e.flow),
        destinationText(e.flow),
        e.flow.ports.map((p) => `${p.port}${p.endPort ? `-${p.endPort}` : ""}/${p.protocol}`).join(" "),
        e.startsAt,
        e.expiresAt,
        e.requester,
        e.ticket,
        e.decidedBy,
        e.decidedAt,
        e.decisionReason,
        e.renews ? `E-${e.renews}` : "",
        // Usage is what the auditor asks first: was this opening ever needed, and is it gone from the clusters?
        e.usage.flows,
        e.usage.lastSeen,
        e.usage.clusters.map((c) => `${c.name}:${c.flows}`).join(" "),
        e.stillEnforcedIn.join(" "),
        e.justification,
      ]
        .map(csvCell)
        .join(","),
    );
  return { filename: `exceptions-${serverNow().toISOString().slice(0, 10)}.csv`, csv: `${lines.join("\r\n")}\r\n` };
}
