// The visual form edits the document itself (the same data the YAML view
// shows), through these pure operations. Fields the form has no control for
// are kept as they are, so switching views never loses anything.
import { API_VERSION, ADMIN_TIERS, type Tier } from "@/lib/vocabulary";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };
export type Path = readonly (string | number)[];

export const PEER_KINDS = ["workloads", "service", "cidr", "dns", "entity"] as const;
export type PeerKind = (typeof PEER_KINDS)[number];
export const PEER_KIND_LABEL: Record<PeerKind, string> = {
  workloads: "Workloads",
  service: "Service",
  cidr: "CIDR",
  dns: "DNS name",
  entity: "Entity",
};

export const isObject = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);

export function getIn(value: unknown, path: Path): unknown {
  let cur = value;
  for (const seg of path) {
    if (typeof seg === "number") cur = Array.isArray(cur) ? cur[seg] : undefined;
    else cur = isObject(cur) ? cur[seg] : undefined;
  }
  return cur;
}

/**
 * Returns a copy of `root` with `value` at `path` (creating objects on the way).
 * `undefined` removes the field, or the item from a list.
 */
export function setIn(root: unknown, path: Path, value: Json | undefined): Json {
  if (path.length === 0) return (value ?? null) as Json;
  const [head, ...rest] = path;
  if (typeof head === "number") {
    const list = Array.isArray(root) ? [...root] : [];
    if (rest.length === 0 && value === undefined) list.splice(head, 1);
    else list[head] = setIn(list[head], rest, value);
    return list;
  }
  const obj: JsonObject = isObject(root) ? { ...root } : {};
  const next = rest.length === 0 ? value : setIn(obj[head!], rest, value);
  if (next === undefined) delete obj[head!];
  else obj[head!] = next;
  return obj;
}

/** Moves a list item (rule order matters in the admin tiers: the first matching rule decides). */
export function moveItem(root: unknown, listPath: Path, from: number, to: number): Json {
  const list = getIn(root, listPath);
  if (!Array.isArray(list) || to < 0 || to >= list.length || from === to) return root as Json;
  const next = [...list] as Json[];
  const [item] = next.splice(from, 1);
  next.splice(to, 0, item!);
  return setIn(root, listPath, next);
}

export function peerKind(peer: unknown): PeerKind | null {
  if (!isObject(peer)) return null;
  return PEER_KINDS.find((k) => k in peer) ?? null;
}

export function newPeer(kind: PeerKind): JsonObject {
  switch (kind) {
    case "workloads":
      return { workloads: { podSelector: { matchLabels: {} } } };
    case "service":
      return { service: "" };
    case "cidr":
      return { cidr: "" };
    case "dns":
      return { dns: "" };
    case "entity":
      return { entity: "world" };
  }
}

export function ruleActions(tier: unknown): ("allow" | "deny" | "pass")[] {
  if (tier === "namespace") return ["allow"];
  if (tier === "baseline") return ["allow", "deny"];
  return ["allow", "deny", "pass"];
}

export const isAdminTier = (tier: unknown): boolean => (ADMIN_TIERS as readonly unknown[]).includes(tier);

export function newRule(direction: "ingress" | "egress", tier: unknown): JsonObject {
  return { direction, action: tier === "namespace" ? "allow" : "deny", peers: [newPeer("workloads")] };
}

/** A port field as typed: digits are a port number, anything else a port name. */
export function parsePort(text: string): number | string {
  const t = text.trim();
  return /^\d+$/.test(t) ? Number(t) : t;
}

export function newPort(): JsonObject {
  return { port: "", protocol: "TCP" };
}

/** matchLabels as key/value rows, and back. */
export function labelRows(matchLabels: unknown): { key: string; value: string }[] {
  return isObject(matchLabels)
    ? Object.entries(matchLabels).map(([key, value]) => ({ key, value: typeof value === "string" ? value : String(value) }))
    : [];
}
export function rowsToLabels(rows: readonly { key: string; value: string }[]): JsonObject {
  return Object.fromEntries(rows.map((r) => [r.key, r.value]));
}

/** A comma-separated list typed in one field (namespaces, values, except, regions). */
export function splitList(text: string): string[] {
  return text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

export function blankPolicy(tenant: string | null, tier: Tier = "namespace"): JsonObject {
  return {
    apiVersion: API_VERSION,
    kind: "Policy",
    metadata: { name: "", ...(tenant ? { tenant } : {}), description: "" },
    spec: { tier, subject: tenant ? { tenant, podSelector: { matchLabels: {} } } : { podSelector: { matchLabels: {} } }, rules: [] },
  };
}

export interface EndpointRef {
  namespace: string;
  workload: string;
}

/** Parses `<namespace>/<workload>` or `dns:<name>` (the graph's "draw to author" links). */
export function parseEndpoint(text: string | null | undefined): EndpointRef | { dns: string } | null {
  if (!text) return null;
  if (text.startsWith("dns:")) return text.length > 4 ? { dns: text.slice(4) } : null;
  const m = /^([a-z0-9-]+)\/([a-z0-9-]+)$/.exec(text);
  return m ? { namespace: m[1]!, workload: m[2]! } : null;
}

/**
 * A draft namespace-tier policy allowing `from` to reach `to`, with an empty
 * port for the author to fill in; without `to` (a link from one end only), an
 * egress rule whose destination the author picks. `from` is selected by its app
 * label, as the demo inventory labels workloads.
 */
export function egressAllowPolicy(from: EndpointRef, to: EndpointRef | { dns: string } | null, tenant: string | null): JsonObject {
  const peers: JsonObject[] =
    to === null
      ? []
      : ["dns" in to ? { dns: to.dns } : { workloads: { namespaces: [to.namespace], podSelector: { matchLabels: { app: to.workload } } } }];
  const target = to === null ? null : "dns" in to ? to.dns.replace(/^\*\./, "").split(".")[0]! : to.workload;
  const name = (s: string) => s.slice(0, 63).replace(/-+$/, "");
  const calls = to === null ? "calls (destination to choose)" : `calls ${"dns" in to ? to.dns : `${to.namespace}/${to.workload}`}`;
  return {
    apiVersion: API_VERSION,
    kind: "Policy",
    metadata: {
      name: name(target ? `${from.workload}-to-${target}` : `${from.workload}-egress`),
      ...(tenant ? { tenant } : {}),
      description: `${from.namespace}/${from.workload} ${calls}.`,
    },
    spec: {
      tier: "namespace",
      subject: { namespaces: [from.namespace], podSelector: { matchLabels: { app: from.workload } } },
      rules: [
        {
          name: name(target ? `to-${target}` : "egress"),
          direction: "egress",
          action: "allow",
          peers,
          ports: [{ port: "", protocol: "TCP" }],
        },
      ],
    },
  };
}
