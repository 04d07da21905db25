/**
 * `policyplane agent --apply`: makes the cluster run its desired state. It reads
 * `GET /api/v1/clusters/{name}/desired` (with If-None-Match, so an unchanged state costs a 304),
 * applies each object with server-side apply (field manager `policyplane`, conflicts forced), and
 * deletes the objects that carry Policyplane's managed-by label and are no longer desired: that is
 * how an exception that expired or was revoked leaves the cluster. Objects without the label are
 * never touched. One object failing is reported and does not stop the others; the release's
 * status for the cluster is then reported (applied, or failed with the reasons).
 */
import { ApiException, CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { MANAGED_BY } from "@/server/policy/compile/compile";
import { PLURALS, type ClusterCache, type KubeObject } from "./agent-watch";

export const FIELD_MANAGER = "policyplane";

/** The desired state as the server last sent it. */
export interface DesiredState {
  release: number | null;
  etag: string | null;
  objects: KubeObject[];
}

export interface ApplyFailure {
  object: string;
  reason: string;
}

export interface ApplyResult {
  release: number | null;
  applied: number;
  deleted: string[];
  failed: ApplyFailure[];
  /** What was reported for the release ("applied" / "failed"), null when nothing was (no release, not this cluster's wave). */
  status: "applied" | "failed" | null;
}

const groupOf = (apiVersion: string) => (apiVersion.includes("/") ? apiVersion.split("/")[0]! : "");
const versionOf = (apiVersion: string) => apiVersion.split("/").at(-1)!;
/** Version-independent identity: an object listed at v1 and desired at v1beta1 is the same object. */
export const identity = (o: KubeObject) => `${groupOf(o.apiVersion)}|${o.kind}|${o.metadata.namespace ?? ""}|${o.metadata.name}`;
const label = (o: KubeObject) => `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata.name}`;

function reasonOf(e: unknown): string {
  if (e instanceof ApiException) {
    const body = e.body as unknown;
    let message = typeof body === "string" ? body : "";
    try {
      message = (JSON.parse(message) as { message?: string }).message ?? message;
    } catch {
      // Not JSON: the text as it came.
    }
    if (!message && body && typeof body === "object") message = (body as { message?: string }).message ?? "";
    return `HTTP ${e.code}${message ? `: ${message}` : ""}`;
  }
  return (e as Error).message;
}

/** Parses the desired endpoint's YAML (the comment header aside); each document one object. */
export function parseDesired(text: string): KubeObject[] {
  return parseAllDocuments(text)
    .map((d) => d.toJSON() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null && typeof o === "object" && typeof o.kind === "string");
}

/** Server-side apply of one object. */
async function apply(custom: CustomObjectsApi, o: KubeObject) {
  const group = groupOf(o.apiVersion);
  const plural = PLURALS.get(`${group}|${o.kind}`);
  if (!plural || !group) throw new Error(`the agent does not apply ${o.apiVersion} ${o.kind}`);
  const options = setHeaderOptions("Content-Type", PatchStrategy.ServerSideApply);
  const common = {
    group,
    version: versionOf(o.apiVersion),
    plural,
    name: o.metadata.name,
    body: o,
    fieldManager: FIELD_MANAGER,
    force: true,
  };
  if (o.metadata.namespace) await custom.patchNamespacedCustomObject({ ...common, namespace: o.metadata.namespace }, options);
  else await custom.patchClusterCustomObject(common, options);
}

async function remove(custom: CustomObjectsApi, o: KubeObject) {
  const group = groupOf(o.apiVersion);
  const plural = PLURALS.get(`${group}|${o.kind}`)!;
  const common = { group, version: versionOf(o.apiVersion), plural, name: o.metadata.name };
  try {
    if (o.metadata.namespace) await custom.deleteNamespacedCustomObject({ ...common, namespace: o.metadata.namespace });
    else await custom.deleteClusterCustomObject(common);
  } catch (e) {
    // Already gone: what was wanted.
    if (!(e instanceof ApiException && e.code === 404)) throw e;
  }
}

/**
 * Applies `desired` and deletes the managed objects it no longer holds. `cache` must be synced (it
 * says which managed objects the cluster runs).
 */
export async function applyDesired(kc: KubeConfig, cache: ClusterCache, desired: readonly KubeObject[]) {
  const custom = kc.makeApiClient(CustomObjectsApi);
  const failed: ApplyFailure[] = [];
  let applied = 0;
  const wanted = new Set<string>();
  for (const o of desired) {
    wanted.add(identity(o));
    // The label is what lets a later run delete it: an object the server sends without it is refused.
    const labels = (o.metadata.labels ?? {}) as Record<string, string>;
    if (!Object.entries(MANAGED_BY).every(([k, v]) => labels[k] === v)) {
      failed.push({ object: label(o), reason: "the desired object lacks the managed-by label; not applied" });
      continue;
    }
    try {
      await apply(custom, o);
      applied++;
    } catch (e) {
      failed.push({ object: label(o), reason: reasonOf(e) });
    }
  }
  const deleted: string[] = [];
  for (const { object } of cache.managed()) {
    if (wanted.has(identity(object))) continue;
    try {
      await remove(custom, object);
      deleted.push(label(object));
    } catch (e) {
      failed.push({ object: `delete ${label(object)}`, reason: reasonOf(e) });
    }
  }
  return { applied, deleted, failed };
}

/** The status message for a release: what was applied, deleted, and each failure (within the API's 2,000 characters). */
export function statusMessage(r: { applied: number; deleted: string[]; failed: ApplyFailure[] }): string {
  const head = `policyplane agent: ${r.applied} object${r.applied === 1 ? "" : "s"} applied (server-side apply), ${r.deleted.length} deleted`;
  if (r.failed.length === 0) return head;
  const text = `${head}; ${r.failed.length} failed: ${r.failed.map((f) => `${f.object}: ${f.reason}`).join("; ")}`;
  return text.length <= 2000 ? text : `${text.slice(0, 1997)}...`;
}
