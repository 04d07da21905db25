import "server-only";
// SIEM export of violations (issue 17 item 8): the violation events the minute
// closer emits (./close.ts: one per path and minute, plus late deltas), read in
// pages with a cursor a collector keeps, as JSON lines or CEF. An event row holds
// its count and time span; the path, class, rationale and attribution are read
// from its aggregate when exporting (its latest, as the dashboard shows it), so
// the exported line has the shape it always had.
//
// The cursor is (transaction id, sequence). A page holds only events of
// transactions older than every transaction still running (the snapshot's xmin),
// in cursor order: an ingestion that started earlier but commits later can never
// land behind a cursor already handed out, so resuming from any cursor neither
// skips nor repeats an event, across restarts and replicas (and closers). The
// price: while a transaction runs, newer events wait for it (ingestion and
// closing transactions last milliseconds).
import { and, inArray, or, sql, type SQL } from "drizzle-orm";
import { clusters, flowAggregates, violationEvents, type FlowAttribution } from "@/db/schema";
import type { Queryable } from "@/db/client";
import { readableTenantIds } from "@/server/auth/authorize";
import type { Actor, ServiceContext } from "@/server/context";
import { InvalidInput } from "@/server/errors";
import { requireScope } from "@/server/tokens/scopes";
import type { FlowClass, Severity } from "@/lib/flows";
import { cefLine } from "./cef";

export const EXPORT_FORMATS = ["jsonl", "cef"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
export const DEFAULT_EXPORT_LIMIT = 1_000;
export const MAX_EXPORT_LIMIT = 10_000;

export interface Cursor {
  tx: number;
  seq: number;
}

/** The cursor as a collector keeps it: `<tx>-<seq>`; "0-0" is the beginning. */
export const formatCursor = (c: Cursor): string => `${c.tx}-${c.seq}`;

export function parseCursor(text: string | undefined, field = "cursor"): Cursor {
  if (text === undefined || text === "") return { tx: 0, seq: 0 };
  const m = /^(\d{1,18})-(\d{1,18})$/.exec(text);
  if (!m) throw new InvalidInput(`The cursor "${text.slice(0, 40)}" is not one this API gave: expected <number>-<number>.`, field);
  return { tx: Number(m[1]), seq: Number(m[2]) };
}

export interface ViolationEvent {
  cursor: string;
  receivedAt: string;
  cluster: string;
  minute: string;
  source: string;
  destination: string;
  port: number;
  protocol: string;
  verdict: string;
  flowClass: FlowClass;
  severity: Severity | null;
  releaseNumber: number | null;
  rationale: string;
  attribution: FlowAttribution | null;
  count: number;
  firstSeen: string;
  lastSeen: string;
}

export interface ExportPage {
  events: ViolationEvent[];
  /** Where the next page starts (the last event's cursor; the given one when the page is empty). */
  nextCursor: string;
}

/** Flows from or to the actor's tenants, for a reader limited to some. */
function tenantScope(actor: Actor): SQL | undefined {
  const readable = readableTenantIds(actor);
  if (readable === undefined) return undefined;
  if (readable.length === 0) return sql`false`;
  return or(inArray(flowAggregates.sourceTenantId, readable), inArray(flowAggregates.destinationTenantId, readable));
}

/** Only transactions that can no longer commit behind a cursor. */
const settled = sql`${violationEvents.tx} < (pg_snapshot_xmin(pg_current_snapshot())::text::bigint)`;

async function readPage(db: Queryable, actor: Actor, after: Cursor, limit: number): Promise<ExportPage> {
  const rows = await db
    .select({
      tx: violationEvents.tx,
      seq: violationEvents.seq,
      receivedAt: violationEvents.receivedAt,
      cluster: clusters.name,
      minute: flowAggregates.minute,
      source: flowAggregates.source,
      destination: flowAggregates.destination,
      port: flowAggregates.port,
      protocol: flowAggregates.protocol,
      verdict: flowAggregates.verdict,
      flowClass: flowAggregates.flowClass,
      severity: flowAggregates.severity,
      releaseNumber: flowAggregates.releaseNumber,
      rationale: flowAggregates.rationale,
      attribution: flowAggregates.attribution,
      count: violationEvents.count,
      firstSeen: violationEvents.firstSeen,
      lastSeen: violationEvents.lastSeen,
    })
    .from(violationEvents)
    .innerJoin(flowAggregates, sql`${flowAggregates.id} = ${violationEvents.aggregateId}`)
    .innerJoin(clusters, sql`${clusters.id} = ${flowAggregates.clusterId}`)
    .where(
      and(sql`(${violationEvents.tx}, ${violationEvents.seq}) > (${after.tx}::bigint, ${after.seq}::bigint)`, settled, tenantScope(actor)),
    )
    .orderBy(violationEvents.tx, violationEvents.seq)
    .limit(limit);
  const events = rows.map(({ tx, seq, ...r }) => ({
    ...r,
    cursor: formatCursor({ tx, seq }),
    receivedAt: r.receivedAt.toISOString(),
    minute: r.minute.toISOString(),
    firstSeen: r.firstSeen.toISOString(),
    lastSeen: r.lastSeen.toISOString(),
  }));
  return { events, nextCursor: events.at(-1)?.cursor ?? formatCursor(after) };
}

/** A page of events after `cursor`: a token needs the `export` scope; a person reads the tenants they may. */
export async function exportViolations({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { cursor?: string; limit?: number };
}): Promise<ExportPage> {
  requireScope(ctx.actor, "export");
  const limit = input.limit ?? DEFAULT_EXPORT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_EXPORT_LIMIT)
    throw new InvalidInput(`limit must be a whole number from 1 to ${MAX_EXPORT_LIMIT}.`, "limit");
  return readPage(ctx.db, ctx.actor, parseCursor(input.cursor), limit);
}

/** The cursor after every event settled now: where a live stream without a cursor starts. */
export async function headCursor({ ctx }: { ctx: ServiceContext }): Promise<string> {
  requireScope(ctx.actor, "export");
  const [row] = await ctx.db
    .select({ tx: violationEvents.tx, seq: violationEvents.seq })
    .from(violationEvents)
    .where(settled)
    .orderBy(sql`${violationEvents.tx} desc, ${violationEvents.seq} desc`)
    .limit(1);
  return formatCursor(row ?? { tx: 0, seq: 0 });
}

const CEF_SEVERITY: Record<Severity, number> = { low: 3, medium: 5, high: 8, critical: 10 };

/** One event as a CEF line (the cursor is its externalId, so a SIEM can deduplicate on it). */
export function violationCef(e: ViolationEvent, productVersion: string): string {
  return cefLine(
    {
      signatureId: e.flowClass,
      name: `${e.flowClass} ${e.source} -> ${e.destination}:${e.port}/${e.protocol}`,
      severity: e.severity ? CEF_SEVERITY[e.severity] : 0,
      extensions: {
        externalId: e.cursor,
        rt: Date.parse(e.receivedAt),
        start: Date.parse(e.firstSeen),
        end: Date.parse(e.lastSeen),
        cnt: e.count,
        act: e.verdict,
        cat: e.flowClass,
        proto: e.protocol,
        dpt: e.port,
        deviceExternalId: e.cluster,
        suser: e.source,
        duser: e.destination,
        cs1Label: "severity",
        cs1: e.severity,
        cs2Label: "policy",
        cs2: e.attribution?.policy,
        cs3Label: "rule",
        cs3: e.attribution?.rule,
        cs4Label: "rationale",
        cs4: e.rationale,
        cn1Label: "release",
        cn1: e.releaseNumber,
      },
    },
    productVersion,
  );
}

/** A page as the response body: one JSON object or CEF line per event, each ending in a newline. */
export function formatPage(page: ExportPage, format: ExportFormat, productVersion: string): string {
  return page.events.map((e) => (format === "cef" ? violationCef(e, productVersion) : JSON.stringify(e)) + "\n").join("");
}
