/**
 * The replay simulator's core: recorded traffic decided twice, by a baseline and by a proposal,
 * each record at its own time, and the difference tallied per path.
 *
 * Two passes. Reading keeps every record in typed arrays (endpoints interned), so a million
 * records cost tens of megabytes; the observed pods are then known before either side's engine
 * is built (an engine's pods are fixed when it is built, and documents are lowered against them).
 * Deciding walks the records in input order through the engines' decision caches.
 */
import type { ClusterModel, PlatformDefault, PolicySet, Protocol, Verdict } from "../policy/model";
import { createEvaluator, type Decision, type Evaluator, type Identity } from "../policy/eval/evaluator";
import { formatDecisionPath } from "../policy/eval/explain";
import { formatEndpoint } from "../policy/flows";
import { resolveRecordEndpoints } from "./inventory";
import { EndpointCache, type RecordEndpoint, type RecordResult } from "./records";

const PROTOCOLS: readonly Protocol[] = ["TCP", "UDP", "SCTP"];

function endpointKey(ep: RecordEndpoint): string {
  return ep.kind === "pod"
    ? `p\u0001${ep.namespace}\u0001${ep.name}`
    : ep.kind === "ip"
      ? `i\u0001${ep.ip}`
      : `d\u0001${ep.name.toLowerCase()}`;
}

/** Records a worker read from a block of lines: their columns, and the endpoints it saw first in them. */
export interface RecordBlock {
  length: number;
  errors: [index: number, reason: string][];
  newEndpoints: RecordEndpoint[];
  /** The reading table's cluster names (its ids are 1 + their index; 0 is no cluster). */
  clusterNames: string[];
  src: Int32Array;
  dst: Int32Array;
  port: Uint16Array;
  protocol: Uint8Array;
  time: Float64Array;
  count: Uint32Array;
  cluster: Uint16Array;
  reply: Uint8Array;
}

/** Records as read, one slot per input line (unreadable lines keep their slot and their reason). */
export class RecordTable {
  /** @param firstLine the input line of the first record (2 after a CSV header). */
  constructor(readonly firstLine = 1) {}
  /** How many endpoints takeBlock() has handed out. */
  private announced = 0;
  readonly endpoints: RecordEndpoint[] = [];
  readonly errors = new Map<number, string>();
  length = 0;
  /** Pass to the record parsers: endpoints read through it are interned by identity. */
  readonly endpointCache = new EndpointCache();
  private readonly idsByObject = new Map<RecordEndpoint, number>();
  private readonly endpointIds = new Map<string, number>();
  /** The clusters records name; a record's `cluster` is 1 + an index here, 0 when it names none. */
  readonly clusters: string[] = [];
  private readonly clusterIds = new Map<string, number>();
  private capacity = 1024;
  src = new Int32Array(this.capacity);
  dst = new Int32Array(this.capacity);
  port = new Uint16Array(this.capacity);
  protocol = new Uint8Array(this.capacity);
  /** Epoch ms; NaN when the record has no time. */
  time = new Float64Array(this.capacity);
  count = new Uint32Array(this.capacity);
  cluster = new Uint16Array(this.capacity);
  reply = new Uint8Array(this.capacity);

  private clusterId(name: string): number {
    let id = this.clusterIds.get(name);
    if (id === undefined) {
      if (this.clusters.length === 0xffff) throw new Error(`more than ${0xffff} clusters named by records`);
      this.clusters.push(name);
      this.clusterIds.set(name, (id = this.clusters.length));
    }
    return id;
  }

  /** The cluster record i names, if any. */
  clusterOf(i: number): string | undefined {
    const c = this.cluster[i]!;
    return c === 0 ? undefined : this.clusters[c - 1];
  }

  private endpointId(ep: RecordEndpoint): number {
    const seen = this.idsByObject.get(ep);
    if (seen !== undefined) return seen;
    const key = endpointKey(ep);
    let id = this.endpointIds.get(key);
    if (id === undefined) {
      id = this.endpoints.length;
      this.endpoints.push(ep);
      this.endpointIds.set(key, id);
    }
    this.idsByObject.set(ep, id);
    return id;
  }

  private grow(): void {
    this.capacity *= 2;
    const grown = <T extends Int32Array | Uint16Array | Uint8Array | Float64Array | Uint32Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(this.capacity);
      b.set(a);
      return b;
    };
    this.src = grown(this.src);
    this.dst = grown(this.dst);
    this.port = grown(this.port);
    this.protocol = grown(this.protocol);
    this.time = grown(this.time);
    this.count = grown(this.count);
    this.cluster = grown(this.cluster);
    this.reply = grown(this.reply);
  }

  /**
   * The records added since the last call, as a block (for a reader in a worker thread): endpoint
   * ids stay this table's, and each endpoint is handed out once, in the first block that uses it.
   */
  takeBlock(): RecordBlock {
    const n = this.length;
    const block: RecordBlock = {
      length: n,
      errors: [...this.errors],
      newEndpoints: this.endpoints.slice(this.announced),
      clusterNames: [...this.clusters],
      src: this.src.slice(0, n),
      dst: this.dst.slice(0, n),
      port: this.port.slice(0, n),
      protocol: this.protocol.slice(0, n),
      time: this.time.slice(0, n),
      count: this.count.slice(0, n),
      cluster: this.cluster.slice(0, n),
      reply: this.reply.slice(0, n),
    };
    this.announced = this.endpoints.length;
    this.length = 0;
    this.errors.clear();
    return block;
  }

  /**
   * Append a block another table made. `ids` maps that table's endpoint ids to this table's; it
   * grows with each block's new endpoints, so pass the same array for every block of one reader
   * and register a reader's blocks (registerEndpoints) in the order it made them.
   */
  registerEndpoints(block: RecordBlock, ids: number[]): void {
    for (const ep of block.newEndpoints) ids.push(this.endpointId(ep));
  }

  appendBlock(block: RecordBlock, ids: readonly number[]): void {
    while (this.capacity < this.length + block.length) this.grow();
    const at = this.length;
    for (let i = 0; i < block.length; i++) {
      this.src[at + i] = ids[block.src[i]!]!;
      this.dst[at + i] = ids[block.dst[i]!]!;
    }
    // A block's own cluster ids to this table's (a handful of names per block).
    const clusterIds = [0, ...block.clusterNames.map((name) => this.clusterId(name))];
    for (let i = 0; i < block.length; i++) this.cluster[at + i] = clusterIds[block.cluster[i]!]!;
    this.port.set(block.port, at);
    this.protocol.set(block.protocol, at);
    this.time.set(block.time, at);
    this.count.set(block.count, at);
    this.reply.set(block.reply, at);
    for (const [i, reason] of block.errors) this.errors.set(at + i, reason);
    this.length += block.length;
  }

  /** Append the next line's record (or its error). */
  add(result: RecordResult): void {
    if (this.length === this.capacity) this.grow();
    const i = this.length++;
    if (!result.ok) {
      this.errors.set(i, result.error);
      return;
    }
    const r = result.record;
    this.src[i] = this.endpointId(r.src);
    this.dst[i] = this.endpointId(r.dst);
    this.port[i] = r.port;
    this.protocol[i] = PROTOCOLS.indexOf(r.protocol);
    this.time[i] = r.time ?? Number.NaN;
    this.count[i] = r.count;
    this.cluster[i] = r.cluster === undefined ? 0 : this.clusterId(r.cluster);
    this.reply[i] = r.reply ? 1 : 0;
  }
}

/** One side of a replay: its inventory, and its policies once the observed pods have joined the inventory. */
export interface ReplaySide {
  inventory: ClusterModel;
  policies(model: ClusterModel): PolicySet;
  /** The platform default (deny what no policy decides) for the namespaces it covers; off: plain Kubernetes. */
  secureByDefault?: boolean | PlatformDefault;
}

export type Change = "newly-denied" | "newly-allowed" | "unchanged-allow" | "unchanged-deny";
export const CHANGES: readonly Change[] = ["newly-denied", "newly-allowed", "unchanged-allow", "unchanged-deny"];

export function changeOf(baseline: Verdict, proposal: Verdict): Change {
  if (baseline === proposal) return baseline === "allow" ? "unchanged-allow" : "unchanged-deny";
  return baseline === "allow" ? "newly-denied" : "newly-allowed";
}

export interface RecordOutcome {
  line: number;
  /** The cluster whose inventory and policies decided the record (undefined: a one-cluster replay). */
  cluster: string | undefined;
  src: string;
  dst: string;
  /** What paths group by: "namespace/workload", an address or a DNS name. */
  srcPath: string;
  dstPath: string;
  port: number;
  protocol: Protocol;
  /** Epoch ms the record was decided at. */
  time: number;
  count: number;
  reply: boolean;
  baseline: Decision;
  proposal: Decision;
  change: Change;
}

export type ReplayOutput = RecordOutcome | { line: number; error: string };

interface PreparedSide {
  evaluator: Evaluator;
  /** By endpoint id (only the ids it was prepared for are set). */
  identities: (Identity | string)[];
  paths: string[];
}

/** A side's engine, over the endpoints `used` (ids into `endpoints`; default all of them). */
function prepare(side: ReplaySide, endpoints: readonly RecordEndpoint[], used?: readonly number[]): PreparedSide {
  const ids = used ?? endpoints.map((_, i) => i);
  const observed = resolveRecordEndpoints(
    side.inventory,
    ids.map((i) => endpoints[i]!),
  );
  const evaluator = createEvaluator(observed.model, side.policies(observed.model), { secureByDefault: side.secureByDefault ?? false });
  const paths: string[] = [];
  const identities: (Identity | string)[] = [];
  observed.endpoints.forEach((r, k) => {
    const i = ids[k]!;
    if (!r.ok) {
      identities[i] = r.error;
      return;
    }
    paths[i] = r.path;
    const id = evaluator.resolve(r.endpoint);
    identities[i] = id.ok ? id.value : id.error.message;
  });
  return { evaluator, identities, paths };
}

/** One cluster's baseline and proposal, for a replay whose records name their cluster. */
export interface ClusterSides {
  baseline: ReplaySide;
  proposal: ReplaySide;
}

interface PreparedPair {
  base: PreparedSide;
  prop: PreparedSide;
}

/**
 * Decide every record of the table with both sides, in input order. Records without a time are
 * decided at `time` (epoch ms; default now). The records' own clusters are not looked at: both
 * sides are one cluster's (see replayByCluster).
 */
export function* replayRecords(
  table: RecordTable,
  baseline: ReplaySide,
  proposal: ReplaySide,
  options: { time?: number } = {},
): Generator<ReplayOutput> {
  const pair = { base: prepare(baseline, table.endpoints), prop: prepare(proposal, table.endpoints) };
  yield* decideRecords(table, [pair], [undefined], false, options.time ?? Date.now());
}

/**
 * As replayRecords, over several clusters: each record is resolved and decided through the
 * inventory (and policies) of the cluster it names, and a record naming none through
 * `defaultCluster`'s. A record naming a cluster `clusters` does not have is that record's error.
 * Each cluster's engines see only the endpoints of its own records.
 */
export function* replayByCluster(
  table: RecordTable,
  clusters: ReadonlyMap<string, ClusterSides>,
  defaultCluster: string | undefined,
  options: { time?: number } = {},
): Generator<ReplayOutput> {
  // Cluster ids (0: the record names none) to names, then the endpoints each name's records use.
  const names = [defaultCluster, ...table.clusters];
  const used = new Map<string, Set<number>>();
  for (let i = 0; i < table.length; i++) {
    if (table.errors.has(i)) continue;
    const name = names[table.cluster[i]!];
    if (name === undefined || !clusters.has(name)) continue;
    let set = used.get(name);
    if (!set) used.set(name, (set = new Set()));
    set.add(table.src[i]!).add(table.dst[i]!);
  }
  const prepared = new Map<string, PreparedPair>();
  for (const [name, set] of used) {
    const sides = clusters.get(name)!;
    const ids = [...set];
    prepared.set(name, { base: prepare(sides.baseline, table.endpoints, ids), prop: prepare(sides.proposal, table.endpoints, ids) });
  }
  const known = [...clusters.keys()].sort().join(", ");
  const pairs = names.map((name, c): PreparedPair | string => {
    if (name === undefined) return "the record names no cluster, and the replay has no default cluster";
    const pair = prepared.get(name);
    if (pair) return pair;
    return c === 0
      ? `the default cluster ${JSON.stringify(name)} has no inventory here (known: ${known || "none"})`
      : `cluster ${JSON.stringify(name)}: no inventory for it (known: ${known || "none"})`;
  });
  yield* decideRecords(table, pairs, names, true, options.time ?? Date.now());
}

/** The shared loop: `pairs` and `clusterNames` by cluster id (only [0] when the records' clusters are not looked at). */
function* decideRecords(
  table: RecordTable,
  pairs: readonly (PreparedPair | string)[],
  clusterNames: readonly (string | undefined)[],
  byCluster: boolean,
  defaultTime: number,
): Generator<ReplayOutput> {
  const display = table.endpoints.map(formatEndpoint);
  for (let i = 0; i < table.length; i++) {
    const line = i + table.firstLine;
    const error = table.errors.get(i);
    if (error !== undefined) {
      yield { line, error };
      continue;
    }
    const c = byCluster ? table.cluster[i]! : 0;
    const pair = pairs[c]!;
    if (typeof pair === "string") {
      yield { line, error: pair };
      continue;
    }
    const { base, prop } = pair;
    const s = table.src[i]!;
    const d = table.dst[i]!;
    const bs = base.identities[s]!;
    const bd = base.identities[d]!;
    const ps = prop.identities[s]!;
    const pd = prop.identities[d]!;
    const unresolved = [bs, bd, ps, pd].find((x): x is string => typeof x === "string");
    if (unresolved !== undefined) {
      yield { line, error: unresolved };
      continue;
    }
    const port = table.port[i]!;
    const protocol = PROTOCOLS[table.protocol[i]!]!;
    const recorded = table.time[i]!;
    const time = Number.isNaN(recorded) ? defaultTime : recorded;
    const b = base.evaluator.decideIdentities(bs as Identity, bd as Identity, port, protocol, time);
    const p = prop.evaluator.decideIdentities(ps as Identity, pd as Identity, port, protocol, time);
    yield {
      line,
      cluster: clusterNames[c],
      src: display[s]!,
      dst: display[d]!,
      srcPath: base.paths[s]!,
      dstPath: base.paths[d]!,
      port,
      protocol,
      time,
      count: table.count[i]!,
      reply: table.reply[i] === 1,
      baseline: b,
      proposal: p,
      change: changeOf(b.verdict, p.verdict),
    };
  }
}

/** Decisions are shared by the engines' caches: each one's one-line path is built once. */
const pathOf = new WeakMap<Decision, string>();
export function decisionPath(d: Decision): string {
  let path = pathOf.get(d);
  if (path === undefined) pathOf.set(d, (path = formatDecisionPath(d)));
  return path;
}

/** One row of the result table: a path (source workload → destination, port) with one outcome. */
export interface PathRow {
  /**
   * The cluster the path was recorded in (null: a one-cluster replay). Workload names repeat across
   * clusters, so a multi-cluster replay keeps `payments/ledger` of each cluster apart.
   */
  cluster: string | null;
  src: string;
  dst: string;
  port: number;
  protocol: Protocol;
  change: Change;
  baseline: Verdict;
  proposal: Verdict;
  /** Flows (the records' counts summed) and records. */
  flows: number;
  records: number;
  firstSeen: string;
  lastSeen: string;
  baselinePath: string;
  proposalPath: string;
  /** Input lines of a few of its records, to drill down to. */
  sampleLines: number[];
}

export interface ReplaySummary {
  records: number;
  unreadable: number;
  flows: number;
  changes: Record<Change, { flows: number; paths: number }>;
  /** Changed paths first (most flows first), then unchanged ones. */
  paths: PathRow[];
}

const SAMPLES_PER_PATH = 5;

type TalliedRow = PathRow & { first: number; last: number };

/** Tallies outcomes into totals per change and rows per path. */
export class ReplayTally {
  private records = 0;
  private unreadable = 0;
  private flows = 0;
  /**
   * Rows by cluster, source path, destination path, then port, protocol and change as one number:
   * the outcome's own (interned) strings are the keys, so a record builds no key string.
   */
  private readonly rows = new Map<string | undefined, Map<string, Map<string, Map<number, TalliedRow>>>>();

  add(o: ReplayOutput): void {
    this.records++;
    if ("error" in o) {
      this.unreadable++;
      return;
    }
    this.flows += o.count;
    let byCluster = this.rows.get(o.cluster);
    if (!byCluster) this.rows.set(o.cluster, (byCluster = new Map()));
    let bySrc = byCluster.get(o.srcPath);
    if (!bySrc) byCluster.set(o.srcPath, (bySrc = new Map()));
    let byDst = bySrc.get(o.dstPath);
    if (!byDst) bySrc.set(o.dstPath, (byDst = new Map()));
    const key = (o.port * 4 + PROTOCOLS.indexOf(o.protocol)) * 4 + CHANGES.indexOf(o.change);
    const row = byDst.get(key);
    if (row) {
      row.flows += o.count;
      row.records++;
      if (o.time < row.first) row.first = o.time;
      if (o.time > row.last) row.last = o.time;
      if (row.sampleLines.length < SAMPLES_PER_PATH) row.sampleLines.push(o.line);
      return;
    }
    byDst.set(key, {
      cluster: o.cluster ?? null,
      src: o.srcPath,
      dst: o.dstPath,
      port: o.port,
      protocol: o.protocol,
      change: o.change,
      baseline: o.baseline.verdict,
      proposal: o.proposal.verdict,
      flows: o.count,
      records: 1,
      first: o.time,
      last: o.time,
      firstSeen: "",
      lastSeen: "",
      baselinePath: decisionPath(o.baseline),
      proposalPath: decisionPath(o.proposal),
      sampleLines: [o.line],
    });
  }

  summary(): ReplaySummary {
    const changes = Object.fromEntries(CHANGES.map((c) => [c, { flows: 0, paths: 0 }])) as ReplaySummary["changes"];
    const paths: PathRow[] = [];
    const all = [...this.rows.values()].flatMap((byCluster) =>
      [...byCluster.values()].flatMap((bySrc) => [...bySrc.values()].flatMap((byDst) => [...byDst.values()])),
    );
    for (const { first, last, ...row } of all) {
      changes[row.change].flows += row.flows;
      changes[row.change].paths++;
      paths.push({ ...row, firstSeen: new Date(first).toISOString(), lastSeen: new Date(last).toISOString() });
    }
    const changed = (r: PathRow) => (r.change === "newly-denied" || r.change === "newly-allowed" ? 0 : 1);
    paths.sort(
      (a, b) =>
        changed(a) - changed(b) ||
        b.flows - a.flows ||
        a.src.localeCompare(b.src) ||
        a.dst.localeCompare(b.dst) ||
        (a.cluster ?? "").localeCompare(b.cluster ?? ""),
    );
    return { records: this.records, unreadable: this.unreadable, flows: this.flows, changes, paths };
  }
}
