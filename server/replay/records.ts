/**
 * Recorded traffic as the replay simulator reads it: one record per input line, in any of the
 * formats the issue names, detected per line.
 * - Hubble flow records as `hubble observe -o json` prints them, with or without the `{"flow": …}`
 *   wrapper. Endpoints carry namespace, pod name, Cilium's label list and an address; every field is
 *   optional (field-masked exports, reserved identities).
 * - Policyplane's own JSON lines: the `simulate` flow line plus optional `cluster` and `count`.
 * - CSV with a header naming the same columns (`--format csv`).
 * Reading is pure: the records are resolved to engine identities later (./inventory.ts).
 */
import { NS_NAME_LABEL, type Labels, type Protocol } from "../policy/model";
import { parseEndpoint } from "../policy/flows";
import { isIp } from "../policy/util/ip";
import { parse as parseCsv } from "csv-parse/sync";

/** An endpoint as a record names it (before it is looked up in an inventory). */
export type RecordEndpoint =
  | {
      kind: "pod";
      namespace: string;
      name: string;
      ip?: string;
      /** The pod's labels, when the record carries them (Hubble does; the inventory is preferred). */
      labels?: Labels;
      /** Namespace labels the record carries (Cilium's io.cilium.k8s.namespace.labels.*). */
      nsLabels?: Labels;
      /** The record names no pod: `name` is its address (or Cilium identity), and paths group it by its app label. */
      unnamed?: boolean;
    }
  | { kind: "ip"; ip: string }
  | { kind: "dns"; name: string };

export interface ReplayRecord {
  src: RecordEndpoint;
  dst: RecordEndpoint;
  port: number;
  protocol: Protocol;
  /** Epoch milliseconds of the observation; undefined when the record has none. */
  time?: number;
  /** How many flows the record stands for (aggregated inputs); 1 by default. */
  count: number;
  cluster?: string;
  /**
   * A Hubble reply (return traffic): it is evaluated as the connection it answers (the endpoints
   * swapped, the port the reply came from), since policy admits replies of admitted connections.
   */
  reply: boolean;
  /** Hubble's verdict (FORWARDED, DROPPED, AUDIT, …) and drop reason, when the record carries them (flow ingestion reads them). */
  verdict?: string;
  dropReason?: string;
}

export type RecordResult = { ok: true; record: ReplayRecord } | { ok: false; error: string };

/**
 * Endpoints already read, by what names them in a record. A recording repeats the same few
 * thousand endpoints, so with a cache each one's labels are parsed (and its object built) once,
 * and records read with one cache share endpoint objects. Keys are the record's own strings
 * (no string is built to look one up).
 */
export class EndpointCache {
  private readonly pods = new Map<string, Map<string, RecordEndpoint>>();
  private readonly texts = new Map<string, RecordEndpoint>();

  /** A pod by namespace and name, else what `build` makes (cached when it is an endpoint). */
  pod(namespace: string, name: string, build: () => RecordEndpoint | string): RecordEndpoint | string {
    let inNs = this.pods.get(namespace);
    const hit = inNs?.get(name);
    if (hit) return hit;
    const built = build();
    if (typeof built === "string") return built;
    if (!inNs) this.pods.set(namespace, (inNs = new Map()));
    inNs.set(name, built);
    return built;
  }

  /** An endpoint written as text ("ns/pod", an address, a DNS name). */
  text(value: string, build: () => RecordEndpoint | string): RecordEndpoint | string {
    const hit = this.texts.get(value);
    if (hit) return hit;
    const built = build();
    if (typeof built !== "string") this.texts.set(value, built);
    return built;
  }
}

const PROTOCOL_NAMES: Record<string, Protocol> = { TCP: "TCP", UDP: "UDP", SCTP: "SCTP" };

const fail = (error: string): RecordResult => ({ ok: false, error });

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function protocolOf(value: unknown, field: string): Protocol | string {
  if (value === undefined) return "TCP";
  if (typeof value !== "string") return `${field}: expected TCP, UDP or SCTP`;
  return PROTOCOL_NAMES[value.toUpperCase()] ?? `${field}: expected TCP, UDP or SCTP, got ${JSON.stringify(value)}`;
}

function timeOf(value: unknown, field: string): number | undefined | string {
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string") return `${field}: expected an RFC 3339 instant`;
  const t = Date.parse(value);
  return Number.isNaN(t) ? `${field}: expected an RFC 3339 instant, got ${JSON.stringify(value)}` : t;
}

function countOf(value: unknown): number | string {
  if (value === undefined) return 1;
  if (typeof value === "number" && Number.isInteger(value) && value >= 1) return value;
  if (typeof value === "string" && /^\d+$/.test(value) && Number(value) >= 1) return Number(value);
  return `count: expected a whole number of flows >= 1, got ${JSON.stringify(value)}`;
}

function portOf(value: unknown, field: string): number | string {
  const n = typeof value === "string" && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > 65535)
    return `${field}: expected a port 1-65535, got ${JSON.stringify(value)}`;
  return n;
}

// ---------------------------------------------------------------------------
// Hubble

const CILIUM_NS_LABEL = "io.cilium.k8s.namespace.labels.";

/**
 * Cilium's label list ("k8s:app=web", "reserved:world", …) as pod labels and namespace labels. Only
 * Kubernetes-sourced labels are pod labels; Cilium's own bookkeeping keys (policy cluster, service
 * account, the pod's namespace) are not labels a selector sees.
 */
function ciliumLabels(list: unknown): { labels: Labels; nsLabels: Labels; namespace?: string } | undefined {
  if (!Array.isArray(list)) return undefined;
  const labels: Record<string, string> = {};
  const nsLabels: Record<string, string> = {};
  let namespace: string | undefined;
  for (const entry of list) {
    if (typeof entry !== "string" || !entry.startsWith("k8s:")) continue;
    const eq = entry.indexOf("=");
    const key = entry.slice(4, eq < 0 ? undefined : eq);
    const value = eq < 0 ? "" : entry.slice(eq + 1);
    if (key.startsWith(CILIUM_NS_LABEL)) nsLabels[key.slice(CILIUM_NS_LABEL.length)] = value;
    else if (key === POD_NAMESPACE_LABEL) namespace = value;
    else if (!key.startsWith("io.cilium.k8s.") && !key.startsWith("io.kubernetes.pod.")) labels[key] = value;
  }
  return { labels, nsLabels, ...(namespace ? { namespace } : {}) };
}

const POD_NAMESPACE_LABEL = "io.kubernetes.pod.namespace";

function hubbleEndpoint(
  side: unknown,
  ip: unknown,
  names: unknown,
  field: string,
  cache: EndpointCache | undefined,
): RecordEndpoint | string {
  const s = isObject(side) ? side : {};
  // The common case, a named pod, is answered from the cache before its labels are read.
  if (typeof s.namespace === "string" && typeof s.pod_name === "string" && s.namespace !== "" && s.pod_name !== "")
    return cache
      ? cache.pod(s.namespace, s.pod_name, () => readHubbleEndpoint(s, ip, names, field))
      : readHubbleEndpoint(s, ip, names, field);
  return readHubbleEndpoint(s, ip, names, field);
}

function readHubbleEndpoint(s: Record<string, unknown>, ip: unknown, names: unknown, field: string): RecordEndpoint | string {
  const address = typeof ip === "string" && isIp(ip) ? ip : undefined;
  const parsed = ciliumLabels(s.labels);
  const namespace = typeof s.namespace === "string" && s.namespace !== "" ? s.namespace : parsed?.namespace;
  const podName = typeof s.pod_name === "string" && s.pod_name !== "" ? s.pod_name : undefined;
  // A pod: named, or (the other node's view of a flow) known only by its labels and address.
  const name = podName ?? (parsed && (address ?? (typeof s.identity === "number" ? `identity-${s.identity}` : undefined)));
  if (namespace && name) {
    return {
      kind: "pod",
      namespace,
      name,
      ...(podName ? {} : { unnamed: true }),
      ...(address ? { ip: address } : {}),
      ...(parsed ? { labels: parsed.labels, nsLabels: { ...parsed.nsLabels, [NS_NAME_LABEL]: namespace } } : {}),
    };
  }
  // Outside the pod network (reserved:world, host, remote nodes): the name the flow was resolved from, else the address.
  const dnsName = Array.isArray(names) ? names.find((n): n is string => typeof n === "string" && n !== "") : undefined;
  if (dnsName) return { kind: "dns", name: dnsName.replace(/\.$/, "") };
  if (address) return { kind: "ip", ip: address };
  return `${field}: neither a pod (namespace and pod_name, or Kubernetes labels) nor an IP address`;
}

const nonEmpty = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

/**
 * The cluster a Hubble record was observed in: the cluster part of the observing node's name
 * (Cilium names nodes "<cluster>/<node>" in a cluster mesh, as in "kind-kind/kind-worker"), else
 * an endpoint's `cluster_name` (newer Hubble). A bare node name names no cluster.
 */
function hubbleCluster(flow: Record<string, unknown>, outerNode: unknown): string | undefined {
  const node = nonEmpty(flow.node_name) ?? nonEmpty(outerNode);
  const slash = node?.indexOf("/") ?? -1;
  if (node && slash > 0) return node.slice(0, slash);
  const endpointCluster = (side: unknown) => (isObject(side) ? nonEmpty(side.cluster_name) : undefined);
  return endpointCluster(flow.source) ?? endpointCluster(flow.destination);
}

function hubbleRecord(
  flow: Record<string, unknown>,
  outerTime: unknown,
  cache: EndpointCache | undefined,
  outerNode?: unknown,
): RecordResult {
  const l4 = isObject(flow.l4) ? flow.l4 : undefined;
  if (!l4) return fail("flow.l4: missing (no transport protocol and port)");
  const protoName = Object.keys(l4)[0];
  const protocol = protoName ? PROTOCOL_NAMES[protoName] : undefined;
  if (!protoName || !protocol) return fail(`flow.l4: ${protoName ?? "empty"} is not a protocol network policy decides (TCP, UDP or SCTP)`);
  const transport = isObject(l4[protoName]) ? (l4[protoName] as Record<string, unknown>) : {};
  const reply = flow.is_reply === true || (flow.is_reply === undefined && flow.reply === true);
  // A reply travels from the server's port: the connection it answers was opened to that port.
  const portField = reply ? "source_port" : "destination_port";
  const port = portOf(transport[portField], `flow.l4.${protoName}.${portField}`);
  if (typeof port === "string") return fail(port);
  const ipHeader = isObject(flow.IP) ? flow.IP : {};
  const source = hubbleEndpoint(flow.source, ipHeader.source, flow.source_names, "flow.source", cache);
  if (typeof source === "string") return fail(source);
  const destination = hubbleEndpoint(flow.destination, ipHeader.destination, flow.destination_names, "flow.destination", cache);
  if (typeof destination === "string") return fail(destination);
  const time = timeOf(flow.time ?? outerTime, "flow.time");
  if (typeof time === "string") return fail(time);
  const cluster = hubbleCluster(flow, outerNode);
  // Built field by field (in this order) rather than by spreads: flow ingestion reads a record per line.
  const record: ReplayRecord = { src: reply ? destination : source, dst: reply ? source : destination, port, protocol, count: 1, reply };
  if (time !== undefined) record.time = time;
  if (cluster) record.cluster = cluster;
  if (typeof flow.verdict === "string" && flow.verdict !== "") record.verdict = flow.verdict;
  if (typeof flow.drop_reason_desc === "string" && flow.drop_reason_desc !== "") record.dropReason = flow.drop_reason_desc;
  return { ok: true, record };
}

// ---------------------------------------------------------------------------
// Policyplane's own lines (JSON or CSV columns)

const OWN_FIELDS = new Set(["src", "dst", "port", "protocol", "time", "cluster", "count"]);

function endpointOf(value: unknown, field: string, cache: EndpointCache | undefined): RecordEndpoint | string {
  const invalid = `${field}: expected "<namespace>/<pod>", an IP address or a DNS name, got ${JSON.stringify(value)}`;
  if (typeof value !== "string") return invalid;
  const read = () => parseEndpoint(value) ?? invalid;
  return cache ? cache.text(value, read) : read();
}

function ownRecord(raw: Record<string, unknown>, cache: EndpointCache | undefined): RecordResult {
  for (const key of Object.keys(raw))
    if (!OWN_FIELDS.has(key)) return fail(`${key}: unknown field (expected ${[...OWN_FIELDS].join(", ")})`);
  const src = endpointOf(raw.src, "src", cache);
  if (typeof src === "string") return fail(src);
  const dst = endpointOf(raw.dst, "dst", cache);
  if (typeof dst === "string") return fail(dst);
  const port = portOf(raw.port, "port");
  if (typeof port === "string") return fail(port);
  const protocol = protocolOf(raw.protocol, "protocol");
  if (!(protocol in PROTOCOL_NAMES)) return fail(protocol);
  const time = timeOf(raw.time, "time");
  if (typeof time === "string") return fail(time);
  const count = countOf(raw.count);
  if (typeof count === "string") return fail(count);
  if (raw.cluster !== undefined && typeof raw.cluster !== "string") return fail("cluster: expected a cluster name");
  return {
    ok: true,
    record: {
      src,
      dst,
      port,
      protocol: protocol as Protocol,
      ...(time !== undefined ? { time } : {}),
      count,
      ...(typeof raw.cluster === "string" && raw.cluster !== "" ? { cluster: raw.cluster } : {}),
      reply: false,
    },
  };
}

/** One JSON line: a Hubble record (wrapped or bare) or Policyplane's own flow line. */
export function parseRecordLine(text: string, cache?: EndpointCache): RecordResult {
  if (text.trim() === "") return fail("empty line (expected a JSON object)");
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return fail(`not JSON: ${(e as Error).message}`);
  }
  if (!isObject(raw)) return fail("expected a JSON object");
  if (isObject(raw.flow)) return hubbleRecord(raw.flow, raw.time, cache, raw.node_name);
  if ("src" in raw || "dst" in raw) return ownRecord(raw, cache);
  if ("l4" in raw || "source" in raw || "destination" in raw || "IP" in raw) return hubbleRecord(raw, undefined, cache);
  return fail('neither a Hubble flow record nor a flow line (expected "flow", or "src", "dst" and "port")');
}

// ---------------------------------------------------------------------------
// CSV

/** One CSV line's fields (RFC 4180 quoting, by csv-parse); null when it is not valid CSV. */
function csvFields(line: string): string[] | null {
  try {
    const rows = parseCsv(line, { relax_column_count: true, trim: true }) as string[][];
    return rows[0] ?? [];
  } catch {
    return null;
  }
}

/**
 * A CSV reader: the first line is the header (columns src, dst, port and optionally protocol,
 * time, cluster, count, in any order); returns the parser of the following lines, or the header's error.
 */
export function csvRecordParser(header: string): ((line: string, cache?: EndpointCache) => RecordResult) | { error: string } {
  const columns = csvFields(header)?.map((c) => c.toLowerCase());
  if (!columns) return { error: "the header is not valid CSV" };
  const unknown = columns.filter((c) => !OWN_FIELDS.has(c));
  if (unknown.length > 0) return { error: `unknown column(s) ${unknown.join(", ")} (expected ${[...OWN_FIELDS].join(", ")})` };
  const missing = ["src", "dst", "port"].filter((c) => !columns.includes(c));
  if (missing.length > 0) return { error: `missing column(s) ${missing.join(", ")}` };
  return (line, cache) => {
    if (line.trim() === "") return fail("empty line");
    const values = csvFields(line);
    if (!values) return fail("not valid CSV (e.g. an unterminated quote)");
    if (values.length !== columns.length) return fail(`expected ${columns.length} columns as the header names, got ${values.length}`);
    const raw: Record<string, unknown> = {};
    columns.forEach((c, i) => {
      if (values[i] !== "") raw[c] = values[i];
    });
    return ownRecord(raw, cache);
  };
}
