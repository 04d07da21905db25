/**
 * `policyplane agent`: runs beside a cluster (or anywhere its kubeconfig reaches) and keeps
 * Policyplane's view of it current, through @kubernetes/client-node:
 *   - the inventory: Namespaces, Pods and Services, kept to what the engine needs (names, labels,
 *     pod IPs, service selectors and ports);
 *   - the policy objects: NetworkPolicies, and, where their CRDs are installed,
 *     AdminNetworkPolicies, BaselineAdminNetworkPolicies, ClusterNetworkPolicies, Cilium policies
 *     and Istio AuthorizationPolicies, and the Istio egress routing Policyplane renders (its label);
 *     on Calico, where its API server serves projectcalico.org/v3 (found by API discovery), Calico's
 *     NetworkPolicies and GlobalNetworkPolicies and their staged versions;
 *   - the capabilities: the CNI (kube-system's daemonsets, else the API groups served: CRDs, and
 *     aggregated APIs such as Calico's projectcalico.org that only discovery shows), the admin
 *     policy API (which CRDs are served) and Istio (its CRD groups).
 * Each resource is listed once and then watched (agent-watch.ts); a change is pushed as observed
 * state (the server computes the drift) at most `debounceMs` after the last event, and everything
 * is pushed again at each resync (`--interval`), with the capabilities re-read. Without --apply the
 * agent reports "applied" for the release the server compared with once nothing it wants is missing
 * or modified; with --apply it applies the desired state itself (agent-apply.ts) every
 * `--apply-interval` seconds when it changed (and at each resync), and reports what happened.
 * Failures (the server or the cluster away) are retried with a doubling backoff up to the interval;
 * the agent never exits on its own.
 */
import type { IncomingHttpHeaders } from "node:http";
import { apiUrl, refusalMessage } from "../usage";
import { applyDesired, parseDesired, statusMessage, type ApplyResult, type DesiredState } from "./agent-apply";
import {
  ClusterCache,
  detectCapabilities,
  listClusterShape,
  listResource,
  sleep,
  watchedResources,
  type Capabilities,
  type KubeObject,
} from "./agent-watch";
import { httpCall } from "./http-call";
import { KubeConfig } from "./kube-http";

export { detectCapabilities, type Capabilities } from "./agent-watch";

export interface AgentOptions {
  server: string;
  token: string;
  cluster: string;
  kubeconfig?: string;
  context?: string;
  /** Seconds between resyncs (a full push, capabilities re-read, and with --apply a full re-apply). */
  interval: number;
  /** One sync, then exit (0 when it succeeded). */
  once?: boolean;
  /** Apply the desired state (server-side apply) and delete managed objects no longer desired. */
  apply?: boolean;
  /** Seconds between reads of the desired state (with --apply). */
  applyInterval?: number;
  /** A change is pushed this long after the last watch event (default 2 s). */
  debounceMs?: number;
}

export const DEFAULT_APPLY_INTERVAL = 10;
const DEFAULT_DEBOUNCE_MS = 2000;
/** Under a constant stream of events, a push still goes out at least this often. */
const MAX_PUSH_DELAY_MS = 10_000;

export interface ClusterSnapshot {
  objects: KubeObject[];
  capabilities: Capabilities;
}

/** Lists everything the agent reports, once, from the cluster `kc` points at (`--once`). */
export async function snapshotCluster(kc: KubeConfig): Promise<ClusterSnapshot> {
  const { crds, daemonSets, apiGroups, discovered } = await listClusterShape(kc);
  const capabilities = detectCapabilities(crds, daemonSets, apiGroups);
  const resources = watchedResources(crds, capabilities.cni, discovered);
  const lists = await Promise.all(
    resources.map(async (r) => {
      const trimmed: KubeObject[] = [];
      await listResource(kc, r, (item) => trimmed.push(r.trim(item)));
      return trimmed;
    }),
  );
  const objects = lists.flat();
  return { objects, capabilities };
}

export interface ObservedReply {
  kept: number;
  rejectedCount: number;
  release: number | null;
  drift: { missing: number; unmanaged: number; modified: number };
}

async function call(
  url: URL,
  token: string,
  init: { method: string; headers?: Record<string, string>; body?: string | Iterable<string> },
): Promise<{ status: number; body: unknown; headers: IncomingHttpHeaders }> {
  const { status, headers, text } = await httpCall(url, {
    method: init.method,
    headers: { authorization: `Bearer ${token}`, "user-agent": "policyplane-agent/1", ...init.headers },
    body: init.body,
  });
  if (status === 304) return { status: 304, body: null, headers };
  if (status < 200 || status >= 300)
    throw new AgentRefusal(status, `${init.method} ${url.pathname}: HTTP ${status}: ${refusalMessage(text)}`);
  const json = (headers["content-type"] ?? "").includes("json");
  return { status, body: json ? (JSON.parse(text) as unknown) : text, headers };
}

/** The server answered with a refusal (4xx/5xx); a network failure is a plain error. */
export class AgentRefusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** What one push did. */
export interface SyncResult {
  objects: number;
  capabilities: Capabilities;
  observed: ObservedReply;
  /** The release reported applied by this push, if any. */
  applied: number | null;
}

type ServerOptions = Pick<AgentOptions, "server" | "token" | "cluster">;

async function pushCapabilities(opts: ServerOptions, capabilities: Capabilities) {
  await call(apiUrl(opts.server, `clusters/${encodeURIComponent(opts.cluster)}/capabilities`), opts.token, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(capabilities),
  });
}

/** Posts a release's status for the cluster; false when the release does not take one from it now (its wave not started, superseded). */
async function reportStatus(opts: ServerOptions, release: number, status: "applied" | "failed", message: string): Promise<boolean> {
  try {
    await call(apiUrl(opts.server, `releases/${release}/clusters/${encodeURIComponent(opts.cluster)}/status`), opts.token, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ status, message }),
    });
    return true;
  } catch (e) {
    if (e instanceof AgentRefusal && (e.status === 404 || e.status === 409)) return false;
    throw e;
  }
}

/** Bytes of JSON per piece of a streamed push. */
const PUSH_PIECE = 64 * 1024;

/**
 * `{"apiVersion":"v1","kind":"List","items":[…]}` in pieces of about PUSH_PIECE bytes: a push of a
 * 5,000-pod cluster is a few MB of JSON, and one string of it (then a buffer of it) at each resync
 * left the allocator holding that much more for good.
 */
export function* listPieces(objects: readonly KubeObject[]): Generator<string> {
  let piece = '{"apiVersion":"v1","kind":"List","items":[';
  for (let i = 0; i < objects.length; i++) {
    piece += (i === 0 ? "" : ",") + JSON.stringify(objects[i]);
    if (piece.length >= PUSH_PIECE) {
      yield piece;
      piece = "";
    }
  }
  yield `${piece}]}`;
}

/**
 * Pushes the observed state, and (`reportApplied`) reports the release applied when the cluster runs
 * all of it (no missing or modified object). `reported` remembers the releases already reported.
 */
async function pushObserved(
  opts: ServerOptions,
  objects: readonly KubeObject[],
  capabilities: Capabilities,
  reported: Set<number> | null,
): Promise<SyncResult> {
  const { body } = await call(apiUrl(opts.server, `clusters/${encodeURIComponent(opts.cluster)}/observed`), opts.token, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: listPieces(objects),
  });
  const observed = body as ObservedReply;
  let applied: number | null = null;
  const release = observed.release;
  if (reported && release !== null && !reported.has(release) && observed.drift.missing === 0 && observed.drift.modified === 0) {
    if (await reportStatus(opts, release, "applied", `policyplane agent: all ${release} objects present and unmodified`)) applied = release;
    reported.add(release);
  }
  return { objects: objects.length, capabilities, observed, applied };
}

/** One sync: list the cluster, push capabilities and observed state, report the release applied if it is. */
export async function syncOnce(kc: KubeConfig, opts: ServerOptions, reported: Set<number>): Promise<SyncResult> {
  const snapshot = await snapshotCluster(kc);
  await pushCapabilities(opts, snapshot.capabilities);
  return pushObserved(opts, snapshot.objects, snapshot.capabilities, reported);
}

/** Reads the cluster's desired state; null when it is the one `etag` names (304). */
export async function fetchDesired(opts: ServerOptions, etag: string | null): Promise<DesiredState | null> {
  const { status, body, headers } = await call(apiUrl(opts.server, `clusters/${encodeURIComponent(opts.cluster)}/desired`), opts.token, {
    method: "GET",
    headers: etag ? { "if-none-match": etag } : {},
  });
  if (status === 304) return null;
  const text = String(body);
  const fromHeader = headers["x-policyplane-release"] as string | undefined;
  const fromComment = /^# Desired state of cluster .* from release (\d+)/.exec(text)?.[1];
  const release = fromHeader ? Number(fromHeader) : fromComment ? Number(fromComment) : null;
  return { release: release && Number.isInteger(release) ? release : null, etag: headers.etag ?? null, objects: parseDesired(text) };
}

export function loadKubeConfig(opts: Pick<AgentOptions, "kubeconfig" | "context">): KubeConfig {
  const kc = new KubeConfig();
  if (opts.kubeconfig) kc.loadFromFile(opts.kubeconfig);
  else kc.loadFromDefault();
  if (opts.context) kc.setCurrentContext(opts.context);
  return kc;
}

const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
const out = (record: Record<string, unknown>) => process.stdout.write(`${JSON.stringify({ at: new Date().toISOString(), ...record })}\n`);

/**
 * The long-running agent: watches, debounced pushes, resyncs, and with --apply the apply loop.
 * Everything stops when `signal` aborts.
 */
class Agent {
  private readonly cache: ClusterCache;
  private readonly intervalMs: number;
  private readonly debounceMs: number;
  private readonly reported = new Set<number>();
  private pushTimer: NodeJS.Timeout | null = null;
  private pendingSince: number | null = null;
  private pushing = false;
  private pushFailures = 0;
  private sentCapabilities = "";
  private forceCapabilities = true;
  private desiredEtag: string | null = null;
  private lastStatus = "";
  private reapply = true;

  constructor(
    private readonly kc: KubeConfig,
    private readonly opts: AgentOptions,
    private readonly signal: AbortSignal,
  ) {
    this.intervalMs = opts.interval * 1000;
    this.debounceMs = opts.debounceMs ?? DEFAULT_DEBOUNCE_MS;
    this.cache = new ClusterCache(
      kc,
      () => this.schedulePush(),
      (line) => log(line),
      this.intervalMs,
    );
  }

  async run(): Promise<number> {
    const loops = [this.resyncLoop()];
    if (this.opts.apply) loops.push(this.applyLoop());
    await Promise.all(loops);
    this.cache.close();
    if (this.pushTimer) clearTimeout(this.pushTimer);
    return 0;
  }

  /** Reads the CRDs and daemonsets (capabilities, which resources to watch) and pushes everything, every interval. */
  private async resyncLoop() {
    let failures = 0;
    while (!this.signal.aborted) {
      try {
        const before = this.cache.capabilities;
        await this.cache.refresh();
        failures = 0;
        if (before !== null) {
          // A resync: push all, even unchanged, and re-apply (someone may have edited a managed object).
          this.forceCapabilities = true;
          this.reapply = true;
          this.schedulePush(0);
        }
      } catch (e) {
        failures++;
        log(`cluster: reading its CRDs and daemonsets failed (${failures} in a row): ${(e as Error).message}`);
      }
      await sleep(failures === 0 ? this.intervalMs : Math.min(this.intervalMs, 1000 * 2 ** (failures - 1)), this.signal);
    }
  }

  /** A push `delayMs` from now (default: the debounce), unless one is due sooner; never later than MAX_PUSH_DELAY_MS after the first change. */
  private schedulePush(delayMs = this.debounceMs) {
    if (this.signal.aborted) return;
    const now = Date.now();
    this.pendingSince ??= now;
    const due = Math.max(0, Math.min(delayMs, this.pendingSince + MAX_PUSH_DELAY_MS - now));
    if (this.pushTimer) clearTimeout(this.pushTimer);
    this.pushTimer = setTimeout(() => void this.push(), due);
  }

  private async push() {
    this.pushTimer = null;
    if (this.signal.aborted) return;
    if (this.pushing || !this.cache.synced) {
      // Wait for the one in flight, or for every resource's first list.
      this.pushTimer = setTimeout(() => void this.push(), 200);
      return;
    }
    this.pushing = true;
    this.pendingSince = null;
    const capabilities = this.cache.capabilities!;
    try {
      const caps = JSON.stringify(capabilities);
      if (this.forceCapabilities || caps !== this.sentCapabilities) {
        await pushCapabilities(this.opts, capabilities);
        this.sentCapabilities = caps;
        this.forceCapabilities = false;
      }
      const result = await pushObserved(this.opts, this.cache.objects(), capabilities, this.opts.apply ? null : this.reported);
      this.pushFailures = 0;
      out({ ...result });
    } catch (e) {
      this.pushFailures++;
      const wait = Math.min(this.intervalMs, 1000 * 2 ** (this.pushFailures - 1));
      log(`sync failed (${this.pushFailures} in a row, next try in ${wait} ms): ${(e as Error).message}`);
      this.pendingSince = null;
      if (!this.signal.aborted && !this.pushTimer) this.pushTimer = setTimeout(() => void this.push(), wait);
    } finally {
      this.pushing = false;
    }
  }

  /** Every --apply-interval: read the desired state (304 when unchanged) and apply it when it changed or a resync asks. */
  private async applyLoop() {
    const every = (this.opts.applyInterval ?? DEFAULT_APPLY_INTERVAL) * 1000;
    let failures = 0;
    while (!this.signal.aborted) {
      if (this.cache.synced) {
        try {
          await this.applyOnce();
          failures = 0;
        } catch (e) {
          failures++;
          log(`apply failed (${failures} in a row): ${(e as Error).message}`);
        }
      }
      await sleep(failures === 0 ? every : Math.min(this.intervalMs, every * 2 ** (failures - 1)), this.signal);
    }
  }

  private async applyOnce() {
    const force = this.reapply;
    const desired = await fetchDesired(this.opts, force ? null : this.desiredEtag);
    if (desired === null) return;
    this.reapply = false;
    if (desired.release === null) {
      this.desiredEtag = desired.etag;
      return;
    }
    try {
      const result = await this.applyState(desired);
      // An object that failed is tried again at the next resync (--interval), not every --apply-interval.
      out({ apply: result });
    } catch (e) {
      this.reapply = true;
      throw e;
    }
    this.desiredEtag = desired.etag;
  }

  private async applyState(desired: DesiredState): Promise<ApplyResult> {
    const r = await applyDesired(this.kc, this.cache, desired.objects);
    const status = r.failed.length > 0 ? "failed" : "applied";
    const message = statusMessage(r);
    const key = `${desired.release}|${status}|${message}`;
    let reported: ApplyResult["status"] = null;
    if (key !== this.lastStatus) {
      if (await reportStatus(this.opts, desired.release!, status, message)) reported = status;
      this.lastStatus = key;
    }
    return { release: desired.release, ...r, status: reported };
  }
}

/** Runs the agent until `signal` aborts (or, with `once`, one sync and, with `apply`, one apply). */
export async function runAgent(opts: AgentOptions, signal?: AbortSignal): Promise<number> {
  apiUrl(opts.server, "");
  const kc = loadKubeConfig(opts);
  if (opts.once) {
    try {
      const r = await syncOnce(kc, opts, new Set());
      out({ ...r });
      if (opts.apply) {
        const cache = new ClusterCache(kc, () => {}, log, opts.interval * 1000);
        try {
          await cache.refresh();
          const deadline = Date.now() + 30_000;
          while (!cache.synced) {
            if (Date.now() > deadline) throw new Error("the cluster's policy objects could not be listed within 30 s");
            await sleep(50, signal);
          }
          const desired = await fetchDesired(opts, null);
          if (desired?.release != null) {
            const applied = await applyDesired(kc, cache, desired.objects);
            const status = applied.failed.length > 0 ? "failed" : "applied";
            const reported = await reportStatus(opts, desired.release, status, statusMessage(applied));
            out({ apply: { release: desired.release, ...applied, status: reported ? status : null } });
            return applied.failed.length > 0 ? 1 : 0;
          }
        } finally {
          cache.close();
        }
      }
      return 0;
    } catch (e) {
      log(`sync failed: ${(e as Error).message}`);
      return 1;
    }
  }
  const stop = new AbortController();
  signal?.addEventListener("abort", () => stop.abort(), { once: true });
  return new Agent(kc, opts, stop.signal).run();
}
