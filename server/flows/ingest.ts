import "server-only";
// Flow ingestion (issue 17): a batch of Hubble flow records (JSON lines as
// `hubble observe -o json` prints them) from one cluster, each decided by the
// engine against the release in force and classified, then folded into
// per-minute aggregates with a few raw samples each, in one transaction.
//
// Lines that cannot be read (not JSON, not a flow, a protocol policy does not
// decide, no verdict) are rejected one by one with their line number; the
// batch's other lines are kept. accepted + rejected = the batch's lines.
import type { ServiceContext } from "@/server/context";
import type { FlowAttribution, FlowClass, FlowSample } from "@/db/schema";
import type { Severity } from "@/lib/flows";
import type { Protocol } from "@/server/policy/model";
import type { TouchedFlows } from "@/server/alerts/on-ingest";
import { requireRole } from "@/server/auth/authorize";
import { requireClusterScope } from "@/server/tokens/scopes";
import { EndpointCache, parseRecordLine, type RecordEndpoint, type ReplayRecord } from "@/server/replay/records";
import { decisionPath } from "@/server/replay/replay";
import { attributionOf, classify } from "./classify";
import { clusterByName, resolveForCluster } from "./engine";
import { severityOf } from "./severity";
import { SAMPLES_PER_AGGREGATE, writeAggregates } from "./write";

/** Longest line read (Hubble records are ~1-2 KB; L7 ones a few KB). */
export const MAX_FLOW_LINE_CHARS = 64 * 1024;
/** Rejected lines named in a reply (all are counted). */
const MAX_REPORTED_REJECTIONS = 100;

export interface IngestInput {
  cluster: string;
  /** The batch's text: one JSON record per line. */
  body: string;
}

export interface IngestResult {
  cluster: string;
  releaseNumber: number | null;
  /** Lines read (blank lines are not records and are not counted). */
  lines: number;
  accepted: number;
  rejected: number;
  /** The first rejected lines, by line number (1-based within the batch). */
  errors: { line: number; reason: string }[];
  classes: Record<FlowClass, number>;
  /** Records whose endpoints the engine could not place: kept by the cluster's verdict, without a rationale. */
  unattributed: number;
  aggregates: number;
}

/** The reply, and what the batch wrote that alert rules filter on (for ../alerts/on-ingest.ts; not sent to the client). */
export interface IngestOutcome extends IngestResult {
  touched: TouchedFlows[];
}

interface Aggregate {
  /** Its identity across batches (minute, endpoints' names, port, protocol, verdict, class). */
  key: string;
  minute: number;
  source: string;
  sourceNamespace: string | null;
  destination: string;
  destinationNamespace: string | null;
  port: number;
  protocol: string;
  verdict: string;
  flowClass: FlowClass;
  engineVerdict: string | null;
  rationale: string;
  attribution: FlowAttribution | null;
  destinationCriticality: string | null;
  severity: string | null;
  count: number;
  samples: FlowSample[];
  first: number;
  last: number;
}

/** Calls `each` with the body's lines (1-based number, text without its terminator); blank lines are skipped but counted. */
function forEachLine(body: string, each: (line: number, text: string) => void) {
  let start = 0;
  let n = 0;
  while (start < body.length) {
    let end = body.indexOf("\n", start);
    if (end < 0) end = body.length;
    n++;
    const text = body.charCodeAt(end - 1) === 13 ? body.slice(start, end - 1) : body.slice(start, end);
    if (text.trim() !== "") each(n, text);
    start = end + 1;
  }
}

/** Text PostgreSQL cannot store (NUL, lone surrogates) that JSON escapes can smuggle into names. */
const UNSTORABLE = /\\u0000|\\u[dD][89a-fA-F][0-9a-fA-F]{2}/;

/** `unstorable`: whether the batch holds such text somewhere (else lines are not searched for it). */
function readLine(
  text: string,
  cache: EndpointCache,
  unstorable: boolean,
): { ok: true; record: ReplayRecord & { verdict: string } } | { ok: false; reason: string } {
  if (text.length > MAX_FLOW_LINE_CHARS) return { ok: false, reason: `line longer than ${MAX_FLOW_LINE_CHARS} characters` };
  if (unstorable && UNSTORABLE.test(text))
    return { ok: false, reason: "contains a NUL or a lone surrogate escape, which cannot be stored" };
  const r = parseRecordLine(text, cache);
  if (!r.ok) return { ok: false, reason: r.error };
  if (r.record.verdict === undefined)
    return { ok: false, reason: 'no verdict: expected a Hubble flow record ("flow": {"verdict": "FORWARDED" | "DROPPED" | …})' };
  return { ok: true, record: r.record as ReplayRecord & { verdict: string } };
}

/** Small numbers standing for an aggregate's protocol and class in its key (see ingestFlows). */
const PROTOCOL_IDS: Record<Protocol, number> = { TCP: 0, UDP: 1, SCTP: 2 };
const FLOW_CLASS_IDS: Record<FlowClass, number> = { violation: 0, "near-miss": 1, "enforcement-gap": 2, allowed: 3 };

const namespaceOf = (ep: RecordEndpoint): string | null => (ep.kind === "pod" ? ep.namespace : null);

export async function ingestFlows({ ctx, input }: { ctx: ServiceContext; input: IngestInput }): Promise<IngestOutcome> {
  const { db, actor } = ctx;
  const cluster = await clusterByName(db, input.cluster);
  requireClusterScope(actor, "flows", cluster);
  // A person pushing flows by hand (the console's session) must operate the platform.
  if (actor.type !== "token") requireRole(actor, "admin");

  const cache = new EndpointCache();
  const errors: { line: number; reason: string }[] = [];
  let rejected = 0;
  let lines = 0;
  // The accepted records and their lines, side by side (no object per record to hold the pair).
  const records: (ReplayRecord & { verdict: string })[] = [];
  const texts: string[] = [];
  const endpointIndex = new Map<RecordEndpoint, number>();
  const endpoints: RecordEndpoint[] = [];
  const idOf = (ep: RecordEndpoint) => {
    let id = endpointIndex.get(ep);
    if (id === undefined) endpointIndex.set(ep, (id = endpoints.push(ep) - 1));
    return id;
  };
  const ids: number[] = [];
  // One scan of the whole body: lines are only searched one by one when the body holds such text.
  const unstorable = input.body.includes("\\u") && UNSTORABLE.test(input.body);
  forEachLine(input.body, (line, text) => {
    lines++;
    const r = readLine(text, cache, unstorable);
    if (!r.ok) {
      rejected++;
      if (errors.length < MAX_REPORTED_REJECTIONS) errors.push({ line, reason: r.reason });
      return;
    }
    records.push(r.record);
    texts.push(text);
    ids.push(idOf(r.record.src), idOf(r.record.dst));
  });

  const engine = await resolveForCluster(db, cluster, endpoints);
  const now = Date.now();
  const classes: Record<FlowClass, number> = { violation: 0, "near-miss": 0, "enforcement-gap": 0, allowed: 0 };
  let unattributed = 0;
  // Per endpoint, once: the name aggregates store, and a small number standing for it in the
  // records' keys (endpoints naming the same workload share it), so a record costs no string
  // building over the names.
  const pathIds = new Map<string, number>();
  const endpointPath = endpoints.map((ep, e) => {
    const r = engine.resolved[e]!;
    return r.ok ? r.path : formatUnplaced(ep);
  });
  const endpointKey = endpointPath.map((path) => {
    let id = pathIds.get(path);
    if (id === undefined) pathIds.set(path, (id = pathIds.size));
    return id;
  });
  // Aggregates by their identity as numbers (no key is built per record): minute, then the two
  // endpoints' paths, then port, protocol, class and verdict (verdicts numbered as they come).
  const rows: Aggregate[] = [];
  const byMinute = new Map<number, Map<number, Map<number, Aggregate>>>();
  const verdictIds = new Map<string, number>();
  const paths = pathIds.size;
  records.forEach((r, i) => {
    const text = texts[i]!;
    const s = ids[2 * i]!;
    const d = ids[2 * i + 1]!;
    const src = engine.resolved[s]!;
    const dst = engine.resolved[d]!;
    const time = r.time ?? now;
    const decision = src.ok && dst.ok ? engine.evaluator.decideIdentities(src.identity, dst.identity, r.port, r.protocol, time) : null;
    if (!decision) unattributed++;
    const flowClass = classify(r.verdict, decision);
    classes[flowClass] += r.count;
    const minute = Math.floor(time / 60_000) * 60_000;
    let verdictId = verdictIds.get(r.verdict);
    if (verdictId === undefined) verdictIds.set(r.verdict, (verdictId = verdictIds.size));
    let byPair = byMinute.get(minute / 60_000);
    if (!byPair) byMinute.set(minute / 60_000, (byPair = new Map()));
    const pair = endpointKey[s]! * paths + endpointKey[d]!;
    let byRest = byPair.get(pair);
    if (!byRest) byPair.set(pair, (byRest = new Map()));
    const rest = ((verdictId * 65_536 + r.port) * 4 + PROTOCOL_IDS[r.protocol]) * 4 + FLOW_CLASS_IDS[flowClass];
    const agg = byRest.get(rest);
    if (agg) {
      agg.count += r.count;
      if (agg.samples.length < SAMPLES_PER_AGGREGATE) agg.samples.push({ time: new Date(time).toISOString(), line: text });
      if (time < agg.first) agg.first = time;
      if (time > agg.last) agg.last = time;
      return;
    }
    // The first record of an aggregate: its rationale, attribution and severity (the same for its others).
    const rationale = decision
      ? decisionPath(decision)
      : `not attributed: ${!src.ok ? `source ${src.error}` : `destination ${(dst as { error: string }).error}`}`;
    const source = endpointPath[s]!;
    const destination = endpointPath[d]!;
    const attribution = decision ? attributionOf(decision) : null;
    const destinationCriticality = engine.criticality.of(destination, namespaceOf(r.dst));
    const created: Aggregate = {
      key: `${minute}\u0001${source}\u0001${destination}\u0001${r.port}\u0001${r.protocol}\u0001${r.verdict}\u0001${flowClass}`,
      minute,
      source,
      sourceNamespace: namespaceOf(r.src),
      destination,
      destinationNamespace: namespaceOf(r.dst),
      port: r.port,
      protocol: r.protocol,
      verdict: r.verdict,
      flowClass,
      engineVerdict: decision?.verdict ?? null,
      rationale: r.dropReason ? `${rationale} (cluster: ${r.verdict} ${r.dropReason})` : rationale,
      attribution,
      destinationCriticality,
      severity: severityOf(flowClass, destinationCriticality, attribution),
      count: r.count,
      samples: [{ time: new Date(time).toISOString(), line: text }],
      first: time,
      last: time,
    };
    byRest.set(rest, created);
    rows.push(created);
  });

  const tenantOf = (ns: string | null) => (ns === null ? null : (engine.tenants.get(ns) ?? null));
  await writeAggregates(
    ctx,
    rows.map((a) => ({
      key: `${cluster.id}\u0001${a.key}`,
      minuteMs: a.minute,
      row: {
        cluster_id: cluster.id,
        minute: new Date(a.minute).toISOString(),
        source: a.source,
        source_namespace: a.sourceNamespace,
        source_tenant_id: tenantOf(a.sourceNamespace),
        destination: a.destination,
        destination_namespace: a.destinationNamespace,
        destination_tenant_id: tenantOf(a.destinationNamespace),
        port: a.port,
        protocol: a.protocol,
        verdict: a.verdict,
        flow_class: a.flowClass,
        engine_verdict: a.engineVerdict,
        release_number: engine.releaseNumber,
        rationale: a.rationale,
        attribution: a.attribution,
        destination_criticality: a.destinationCriticality,
        severity: a.severity,
        count: a.count,
        samples: a.samples,
        first_seen: new Date(a.first).toISOString(),
        last_seen: new Date(a.last).toISOString(),
      },
    })),
  );

  const touched = new Map<string, TouchedFlows>();
  for (const a of rows)
    touched.set(`${a.flowClass}\u0001${a.severity}\u0001${a.destinationCriticality}`, {
      cluster: cluster.name,
      flowClass: a.flowClass,
      severity: a.severity as Severity | null,
      destinationCriticality: a.destinationCriticality,
    });
  return {
    touched: [...touched.values()],
    cluster: cluster.name,
    releaseNumber: engine.releaseNumber,
    lines,
    accepted: records.length,
    rejected,
    errors,
    classes,
    unattributed,
    aggregates: rows.length,
  };
}

/** An endpoint the engine could not place, as its record names it. */
function formatUnplaced(ep: RecordEndpoint): string {
  return ep.kind === "pod" ? `${ep.namespace}/${ep.name}` : ep.kind === "ip" ? ep.ip : ep.name;
}
