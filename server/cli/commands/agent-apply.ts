/**
 * `policyplane agent --apply`: makes the cluster run its desired state. It reads
 * `GET /api/v1/clusters/{name}/desired` (with If-None-Match, so an unchanged state costs a 304),
 * applies each object with server-side apply (field manager `policyplane`, conflicts forced), and
 * deletes the objects that carry Policyplane's managed-by label and are no longer desired: that is
 * how an exception that expired or was revoked leaves the cluster. Objects without the label are
 * never touched. One object failing is reported and does not stop the others; the release's
 * status for the cluster is then reported (applied, or failed with the reasons).
 */
// js-yaml, not yaml: KubeConfig loads it anyway, so the agent carries one YAML reader.
import { loadAll } from "js-yaml";
import { MANAGED_BY } from "@/server/policy/compile/managed-by";
import { PLURALS, type ClusterCache, type KubeObject } from "./agent-watch";
import { KubeApiError, kubeRequest, type KubeConfig } from "./kube-http";

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
  if (e instanceof KubeApiError) {
    const body = e.body;
    const message = typeof body === "string" ? body : ((body as { message?: string } | null)?.message ?? "");
    return `HTTP ${e.code}${message ? `: ${message}` : ""}`;
  }
  return (e as Error).message;
}

/** Parses the desired endpoint's YAML (the comment header aside); each document one object. */
export function parseDesired(text: string): KubeObject[] {
  return (loadAll(text) as unknown[]).filter(
    (o): o is KubeObject => o !== null && typeof o === "object" && typeof (o as KubeObject).kind === "string",
  );
}

/** The object's URL path: /apis/<group>/<version>/[namespaces/<ns>/]<plural>/<name>. */
function objectPath(o: KubeObject): string {
  const group = groupOf(o.apiVersion);
  const plural = PLURALS.get(`${group}|${o.kind}`);
  if (!plural || !group) throw new Error(`the agent does not apply ${o.apiVersion} ${o.kind}`);
  const ns = o.metadata.namespace ? `/namespaces/${encodeURIComponent(o.metadata.namespace)}` : "";
  return `/apis/${group}/${versionOf(o.apiVersion)}${ns}/${plural}/${encodeURIComponent(o.metadata.name)}`;
}

/** Server-side apply of one object. */
async function apply(kc: KubeConfig, o: KubeObject) {
  await kubeRequest(kc, {
    method: "PATCH",
    path: objectPath(o),
    query: { fieldManager: FIELD_MANAGER, force: true },
    body: o,
    contentType: "application/apply-patch+yaml",
  });
}

async function remove(kc: KubeConfig, o: KubeObject) {
  try {
    await kubeRequest(kc, { method: "DELETE", path: objectPath(o) });
  } catch (e) {
    // Already gone: what was wanted.
    if (!(e instanceof KubeApiError && e.code === 404)) throw e;
  }
}

/**
 * Applies `desired` and deletes the managed objects it no longer holds. `cache` must be synced (it
 * says which managed objects the cluster runs).
 */
export async function applyDesired(kc: KubeConfig, cache: ClusterCache, desired: readonly KubeObject[]) {
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
      await apply(kc, o);
      applied++;
    } catch (e) {
      failed.push({ object: label(o), reason: reasonOf(e) });
    }
  }
  const deleted: string[] = [];
  for (const { object } of cache.managed()) {
    if (wanted.has(identity(object))) continue;
    try {
      await remove(kc, object);
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
