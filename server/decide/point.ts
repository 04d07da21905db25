import "server-only";
// The decision point (issue 18): one flow decided by the engine over the current release of a cluster.
// Each cluster's engine is the one the graph draws with (loadGraph's cache), held here per release
// number with a cache of answers by flow identity. The latest release number is looked up at most
// every REFRESH_MS, so a new release is picked up without a restart. When the database is unreachable
// the engines already loaded keep answering (flagged stale, reported by /api/v1/health); a cluster
// never loaded is denied (fail closed).
import { randomUUID } from "node:crypto";
import { eq, isNotNull, max } from "drizzle-orm";
import type { Database, Queryable } from "@/db/client";
import { changeRequests, clusters, policies, releases } from "@/db/schema";
import { mayReadTenant } from "@/server/auth/authorize";
import { redactPolicyNames, type Visibility } from "@/server/auth/visibility";
import type { Actor } from "@/server/context";
import { InvalidInput, NotFound, ServiceError } from "@/server/errors";
import { loadGraph } from "@/server/graph/service";
import { formatDecisionPath } from "@/server/policy/eval/explain";
import type { Evaluator, Identity } from "@/server/policy/eval/evaluator";
import type { FlowEndpoint } from "@/server/policy/model";
import { recordCacheLookup } from "@/server/metrics/metrics";
import { requireClusterScope } from "@/server/tokens/scopes";
import { perProcess } from "@/server/lib/per-process";
import type { DecideEndpoint, DecideInput, DecideOutput } from "./schemas";

/** How often (at most) the latest release number is read. */
export const REFRESH_MS = 1000;
/** Answers kept per cluster and release before the cache starts over. */
const MAX_CACHED_ANSWERS = 50_000;
/** A label selector matching more identities than this is refused (name fewer labels). */
const MAX_MATCHED_IDENTITIES = 50;

interface Answer {
  decision: "allow" | "deny";
  reasons: string[];
  /** The reasons as a tenant-scoped caller reads them, by its visibility (made once per answer and visibility). */
  redacted?: WeakMap<Visibility, string[]>;
}

interface ClusterEngine {
  cluster: string;
  clusterId: string;
  release: number;
  evaluator: Evaluator;
  loadedAt: Date;
  /** Policies of a tenant (by name), so a reply can be redacted for a tenant-scoped token without the database. */
  tenantPolicies: { name: string; tenantId: string }[];
  answers: Map<string, Answer>;
  /** What each caller may not read here, by actor (a cached token's actor is the same object until it is verified again). */
  visibility: WeakMap<Actor, Visibility | null>;
}

interface PointState {
  latestRelease: number | null;
  checkedAt: number;
  engines: Map<string, ClusterEngine>;
  loading: Map<string, Promise<ClusterEngine>>;
  /** Set while the database cannot be reached (the last error), cleared by the next good read. */
  databaseError: string | null;
  hits: number;
  misses: number;
}

const state = perProcess("DecisionPoint", (): PointState => ({
  latestRelease: null,
  checkedAt: 0,
  engines: new Map(),
  loading: new Map(),
  databaseError: null,
  hits: 0,
  misses: 0,
}));

/** Forget every loaded engine (tests: a fresh start). */
export function resetDecisionPoint(): void {
  state.reset();
}

/** No release could be loaded for the cluster: the flow is denied. */
export class FailClosed extends Error {}

const failClosed = (cluster: string, cause: string) =>
  new FailClosed(`No release of cluster "${cluster}" has been loaded and the database is unreachable (${cause}): denied (fail closed).`);

export interface DecisionPointHealth {
  database: "reachable" | "unreachable";
  databaseError: string | null;
  /** The engines this process holds, by cluster. */
  clusters: { cluster: string; release: number; loadedAt: string }[];
  cache: { hits: number; misses: number };
}

export function decisionPointHealth(): DecisionPointHealth {
  const s = state();
  return {
    database: s.databaseError ? "unreachable" : "reachable",
    databaseError: s.databaseError,
    clusters: [...s.engines.values()].map((e) => ({ cluster: e.cluster, release: e.release, loadedAt: e.loadedAt.toISOString() })),
    cache: { hits: s.hits, misses: s.misses },
  };
}

/** Whether the last attempt to reach the database, less than REFRESH_MS ago, failed. */
export function databaseRecentlyDown(now = Date.now()): boolean {
  const s = state();
  return s.databaseError !== null && now - s.checkedAt < REFRESH_MS;
}

/** The database is unreachable (the health check failed): remembered until a read succeeds again. */
export function noteDatabaseDown(error: unknown): void {
  state().databaseError = describe(error);
}

function describe(error: unknown): string {
  const e = error as { code?: string; message?: string };
  return e?.code ?? e?.message?.slice(0, 200) ?? String(error);
}

/** The newest release's number; 0 before the first release (the seeded policy set). */
export async function latestReleaseNumber(db: Queryable): Promise<number> {
  const [row] = await db.select({ n: max(releases.number) }).from(releases);
  return row?.n ?? 0;
}

async function loadEngine(db: Database, cluster: string, release: number): Promise<ClusterEngine> {
  // loadGraph refuses an unknown cluster (NotFound) and caches the engine for the console too.
  const { graph } = await loadGraph(db, cluster, { kind: "release" }, null);
  const base = graph.base.find((s) => s.cluster === cluster);
  if (!base) throw new NotFound(`No cluster named "${cluster}".`);
  const [[row], tenantPolicies] = await Promise.all([
    db.select({ id: clusters.id }).from(clusters).where(eq(clusters.name, cluster)),
    db.select({ name: policies.name, tenantId: policies.tenantId }).from(policies).where(isNotNull(policies.tenantId)),
  ]);
  if (!row) throw new NotFound(`No cluster named "${cluster}".`);
  return {
    cluster,
    clusterId: row.id,
    release,
    evaluator: base.evaluator,
    loadedAt: new Date(),
    tenantPolicies: tenantPolicies.map((p) => ({ name: p.name, tenantId: p.tenantId! })),
    answers: new Map(),
    visibility: new WeakMap(),
  };
}

/** The cluster's engine at the latest release, or the last one loaded (stale) when the database is unreachable. */
async function engineFor(getDb: () => Promise<Database>, cluster: string, now: number): Promise<{ engine: ClusterEngine; stale: boolean }> {
  const s = state();
  const held = s.engines.get(cluster);
  // Between checks (and, while the database is down, between attempts to reach it) the held engine answers at once.
  if (held && now - s.checkedAt < REFRESH_MS && (s.databaseError !== null || held.release === s.latestRelease))
    return { engine: held, stale: s.databaseError !== null };
  let db: Database;
  try {
    s.checkedAt = now;
    db = await getDb();
    s.latestRelease = await latestReleaseNumber(db);
    s.databaseError = null;
  } catch (error) {
    s.databaseError = describe(error);
    if (held) return { engine: held, stale: true };
    throw failClosed(cluster, s.databaseError);
  }
  if (held && held.release === s.latestRelease) return { engine: held, stale: false };
  const release = s.latestRelease;
  const key = `${cluster}@${release}`;
  let pending = s.loading.get(key);
  if (!pending) {
    pending = loadEngine(db, cluster, release).finally(() => s.loading.delete(key));
    s.loading.set(key, pending);
  }
  try {
    const engine = await pending;
    if (s.latestRelease === engine.release) s.engines.set(cluster, engine);
    return { engine, stale: false };
  } catch (error) {
    if (error instanceof ServiceError) throw error;
    s.databaseError = describe(error);
    if (held) return { engine: held, stale: true };
    throw failClosed(cluster, s.databaseError);
  }
}

const labelsMatch = (have: Readonly<Record<string, string>>, want: Readonly<Record<string, string>>) =>
  Object.entries(want).every(([k, v]) => have[k] === v);

/** The identities an endpoint stands for (several for a label selector), or a 400 naming the field. */
function identitiesOf(evaluator: Evaluator, e: DecideEndpoint, field: "source" | "destination", cluster: string): Identity[] {
  if (e.labels) {
    const found = evaluator.identities.filter(
      (i) => i.kind === "pod" && (e.namespace === undefined || i.namespace === e.namespace) && labelsMatch(i.labels, e.labels!),
    );
    const where = e.namespace ? ` in namespace ${e.namespace}` : "";
    if (found.length === 0)
      throw new InvalidInput(`${field}.labels: no pod${where} of cluster ${cluster} carries these labels`, `${field}.labels`);
    if (found.length > MAX_MATCHED_IDENTITIES)
      throw new InvalidInput(
        `${field}.labels: ${found.length} different kinds of pod${where} carry these labels (at most ${MAX_MATCHED_IDENTITIES}): name more labels or a namespace`,
        `${field}.labels`,
      );
    return found;
  }
  const endpoint: FlowEndpoint =
    e.pod !== undefined
      ? { kind: "pod", namespace: e.namespace!, name: e.pod }
      : e.ip !== undefined
        ? { kind: "ip", ip: e.ip }
        : { kind: "dns", name: e.dns! };
  const sub = e.pod !== undefined ? "pod" : e.ip !== undefined ? "ip" : "dns";
  const r = evaluator.resolve(endpoint, `${field}.${sub}`);
  if (!r.ok) {
    const msg = r.error.message.startsWith(`${r.error.field}: `) ? r.error.message.slice(r.error.field.length + 2) : r.error.message;
    throw new InvalidInput(`${field}.${sub}: ${msg}`, `${field}.${sub}`);
  }
  return [r.value];
}

/** One decision per source × destination identity: allowed only when every one is. */
function evaluate(evaluator: Evaluator, input: DecideInput, cluster: string, time: Date | undefined): Answer {
  const sources = identitiesOf(evaluator, input.source, "source", cluster);
  const destinations = identitiesOf(evaluator, input.destination, "destination", cluster);
  const several = sources.length * destinations.length > 1;
  let decision: Answer["decision"] = "allow";
  const reasons: string[] = [];
  for (const src of sources)
    for (const dst of destinations) {
      const d = evaluator.decideIdentities(src, dst, input.port, input.protocol, time);
      if (d.verdict === "deny") decision = "deny";
      const path = formatDecisionPath(d);
      const lines = path.split("; ");
      reasons.push(...(several ? lines.map((l) => `${src.example} → ${dst.example}: ${l}`) : lines));
    }
  return { decision, reasons };
}

/** One endpoint in the answer cache's key. */
const endpointKey = (e: DecideEndpoint) =>
  e.labels
    ? `l:${e.namespace ?? ""}:${Object.keys(e.labels)
        .sort()
        .map((k) => `${k}=${e.labels![k]}`)
        .join(",")}`
    : e.pod !== undefined
      ? `p:${e.namespace}/${e.pod}`
      : e.ip !== undefined
        ? `i:${e.ip}`
        : `d:${e.dns}`;

/** The flow's identity in the answer cache: endpoints, port, protocol and (when it matters) the time. */
function flowKey(input: DecideInput, evaluator: Evaluator): string | null {
  // Without a time, an engine whose exceptions start or expire decides by the clock: not cached here (the engine caches by epoch).
  if (input.time === undefined && evaluator.timeDependent) return null;
  return `${endpointKey(input.source)}|${endpointKey(input.destination)}|${input.port}/${input.protocol}|${input.time ? Date.parse(input.time) : ""}`;
}

function visibilityFor(actor: Actor, engine: ClusterEngine): Visibility | null {
  const known = engine.visibility.get(actor);
  if (known !== undefined) return known;
  const hidden = engine.tenantPolicies.filter((p) => !mayReadTenant(actor, p.tenantId)).map((p) => p.name);
  const visibility: Visibility | null =
    hidden.length === 0 ? null : { scoped: true, tenantName: () => true, hiddenPolicyNames: new Set(hidden), hiddenNamespaces: new Set() };
  engine.visibility.set(actor, visibility);
  return visibility;
}

function reasonsFor(answer: Answer, visibility: Visibility | null): string[] {
  if (!visibility) return answer.reasons;
  let reasons = answer.redacted?.get(visibility);
  if (!reasons) (answer.redacted ??= new WeakMap()).set(visibility, (reasons = redactPolicyNames(answer.reasons, visibility)));
  return reasons;
}

/** Decide a flow for an (already authenticated) actor: the release's answer, or with `dryRun` the change request's proposal. */
export async function decideFlow(getDb: () => Promise<Database>, actor: Actor, input: DecideInput): Promise<DecideOutput> {
  const now = Date.now();
  const time = input.time ? new Date(input.time) : undefined;
  if (input.dryRun) return dryRunDecision(getDb, actor, input, time);
  const { engine, stale } = await engineFor(getDb, input.cluster, now);
  requireClusterScope(actor, "decide", { id: engine.clusterId, name: engine.cluster });
  const s = state();
  const key = flowKey(input, engine.evaluator);
  let answer = key === null ? undefined : engine.answers.get(key);
  const cached = answer !== undefined;
  if (key !== null) recordCacheLookup(cached);
  if (answer) s.hits++;
  else {
    s.misses++;
    answer = evaluate(engine.evaluator, input, engine.cluster, time);
    if (key !== null) {
      if (engine.answers.size >= MAX_CACHED_ANSWERS) engine.answers.clear();
      engine.answers.set(key, answer);
    }
  }
  return {
    decision: answer.decision,
    reasons: reasonsFor(answer, visibilityFor(actor, engine)),
    release: engine.release,
    decisionId: randomUUID(),
    cluster: engine.cluster,
    cached,
    ...(stale ? { stale: true } : {}),
  };
}

/** The proposal of a change request decides (never cached here: the graph service caches its engines). */
async function dryRunDecision(
  getDb: () => Promise<Database>,
  actor: Actor,
  input: DecideInput,
  time: Date | undefined,
): Promise<DecideOutput> {
  const db = await getDb();
  const number = input.dryRun!.changeRequest;
  const [cr] = await db.select({ id: changeRequests.id }).from(changeRequests).where(eq(changeRequests.number, number));
  if (!cr) throw new NotFound(`No change request #${number}.`);
  const [[row], release] = await Promise.all([
    db.select({ id: clusters.id }).from(clusters).where(eq(clusters.name, input.cluster)),
    latestReleaseNumber(db),
  ]);
  if (!row) throw new NotFound(`No cluster named "${input.cluster}".`);
  requireClusterScope(actor, "decide", { id: row.id, name: input.cluster });
  // The graph service checks that the actor may read every policy the change request touches.
  const { graph } = await loadGraph(db, input.cluster, { kind: "cr", id: cr.id }, actor);
  const proposed = graph.proposal?.find((p) => p.cluster === input.cluster);
  if (!proposed) throw new NotFound(`No cluster named "${input.cluster}".`);
  const answer = evaluate(proposed.evaluator, input, input.cluster, time);
  const hidden = (
    await db.select({ name: policies.name, tenantId: policies.tenantId }).from(policies).where(isNotNull(policies.tenantId))
  ).filter((p) => !mayReadTenant(actor, p.tenantId));
  const visibility: Visibility = {
    scoped: true,
    tenantName: () => true,
    hiddenPolicyNames: new Set(hidden.map((p) => p.name)),
    hiddenNamespaces: new Set(),
  };
  return {
    decision: answer.decision,
    reasons: redactPolicyNames(answer.reasons, visibility),
    release,
    decisionId: randomUUID(),
    cluster: input.cluster,
    dryRun: { changeRequest: number },
    cached: false,
  };
}
