/** Flow input lines (`simulate --flows`): parsing and evaluation, shared by the CLI and the replay simulator. */
import { z } from "zod";
import type { Flow, FlowEndpoint, Protocol } from "./model";
import type { Evaluator } from "./eval/evaluator";
import type { Decision } from "./eval/evaluator";
import { formatDecisionPath, rationaleJson } from "./eval/explain";
import { isIp } from "./util/ip";
import { FLOW_LINE_LIMITS, checkText, parseJsonBounded, type JsonLimits } from "./read/bounded";

const DNS_NAME = /^(?=.{1,253}$)([a-zA-Z0-9_]([-a-zA-Z0-9_]*[a-zA-Z0-9])?\.)*[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?\.?$/;

/** "<namespace>/<pod>", an IPv4/IPv6 address, or a DNS name. */
export function parseEndpoint(s: string): FlowEndpoint | null {
  const t = s.trim();
  const slash = t.indexOf("/");
  if (slash > 0 && slash === t.lastIndexOf("/") && slash < t.length - 1)
    return { kind: "pod", namespace: t.slice(0, slash), name: t.slice(slash + 1) };
  if (isIp(t)) return { kind: "ip", ip: t };
  if (DNS_NAME.test(t) && /[a-zA-Z]/.test(t)) return { kind: "dns", name: t.replace(/\.$/, "") };
  return null;
}

export function formatEndpoint(e: FlowEndpoint): string {
  return e.kind === "pod" ? `${e.namespace}/${e.name}` : e.kind === "ip" ? e.ip : e.name;
}

const flowLine = z.object({
  src: z.string({ error: 'src: expected a string ("<namespace>/<pod>" or an IP address)' }),
  dst: z.string({ error: 'dst: expected a string ("<namespace>/<pod>" or an IP address)' }),
  port: z
    .number({ error: "port: expected a number" })
    .int("port: expected an integer")
    .min(1, "port: expected 1-65535")
    .max(65535, "port: expected 1-65535"),
  protocol: z
    .string()
    .transform((p) => p.toUpperCase())
    .pipe(z.enum(["TCP", "UDP", "SCTP"], { error: "protocol: expected TCP, UDP or SCTP" }))
    .optional(),
  time: z.string().optional(),
});

export type FlowLineResult = { ok: true; flow: Flow } | { ok: false; error: string };

const FLOW_FIELDS = new Set(["src", "dst", "port", "protocol", "time"]);
const PROTOCOLS: Record<string, Protocol> = { TCP: "TCP", UDP: "UDP", SCTP: "SCTP", tcp: "TCP", udp: "UDP", sctp: "SCTP" };

/**
 * The common case without the schema: a flat object of the known fields, all
 * valid. Anything else (an unknown field, whose value could be nested; a wrong
 * type; bad JSON) returns null and goes through the bounded, schema-checked path,
 * which words the error. A flat object has depth 1, so the nesting scan is moot.
 */
function plainFlowLine(text: string, limits: JsonLimits): Flow | null {
  if (checkText(text, limits.maxChars) !== null) return null;
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return null;
  for (const key in raw) if (!FLOW_FIELDS.has(key)) return null;
  const { src, dst, port, protocol, time } = raw;
  if (typeof src !== "string" || typeof dst !== "string" || typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535)
    return null;
  const proto = protocol === undefined ? "TCP" : typeof protocol === "string" ? PROTOCOLS[protocol] : undefined;
  if (proto === undefined) return null;
  if (time !== undefined && (typeof time !== "string" || Number.isNaN(Date.parse(time)))) return null;
  const s = parseEndpoint(src);
  const d = s && parseEndpoint(dst);
  if (!d) return null;
  return time ? { src: s, dst: d, port, protocol: proto, time } : { src: s, dst: d, port, protocol: proto };
}

/** Parse one JSON line of the flows file (bounded: see FLOW_LINE_LIMITS). */
export function parseFlowLine(text: string, limits: JsonLimits = FLOW_LINE_LIMITS): FlowLineResult {
  const plain = plainFlowLine(text, limits);
  if (plain) return { ok: true, flow: plain };
  const parsed = parseJsonBounded(text, limits);
  if (!parsed.ok) return { ok: false, error: `column ${parsed.offset + 1}: ${parsed.message}` };
  const raw = parsed.value;
  if (raw === null || typeof raw !== "object" || Array.isArray(raw))
    return { ok: false, error: "expected a JSON object with src, dst, port, protocol" };
  const r = flowLine.safeParse(raw);
  if (!r.success) {
    const first = r.error.issues[0]!;
    const field = first.path.join(".");
    const msg = first.message.includes(":") || !field ? first.message : `${field}: ${first.message}`;
    return { ok: false, error: msg };
  }
  const src = parseEndpoint(r.data.src);
  if (!src)
    return { ok: false, error: `src: expected "<namespace>/<pod>", an IP address or a DNS name, got ${JSON.stringify(r.data.src)}` };
  const dst = parseEndpoint(r.data.dst);
  if (!dst)
    return { ok: false, error: `dst: expected "<namespace>/<pod>", an IP address or a DNS name, got ${JSON.stringify(r.data.dst)}` };
  if (r.data.time !== undefined && Number.isNaN(Date.parse(r.data.time)))
    return { ok: false, error: `time: expected an ISO-8601 instant, got ${JSON.stringify(r.data.time)}` };
  const protocol: Protocol = r.data.protocol ?? "TCP";
  return { ok: true, flow: { src, dst, port: r.data.port, protocol, ...(r.data.time ? { time: r.data.time } : {}) } };
}

export type SimulateRecord =
  | {
      line: number;
      src: string;
      dst: string;
      port: number;
      protocol: Protocol;
      verdict: "allow" | "deny";
      path: string;
      rationale?: Record<string, unknown>;
    }
  | { line: number; error: string };

export interface SimulateOptions {
  /** Add the full rationale object to each record (default: verdict and one-line path only). */
  rationale?: boolean;
  /** The instant a flow line without `time` is decided at (default: now). */
  time?: string;
}

/** A flow line without its own `time` is decided at `--time` when given (else now). */
function atTime(f: Flow, options: SimulateOptions): Flow {
  return f.time === undefined && options.time !== undefined ? { ...f, time: options.time } : f;
}

/** Decisions are shared by the evaluator's cache, so each one's path (and rationale) is built once. */
const pathOf = new WeakMap<Decision, string>();
const rationaleOf = new WeakMap<Decision, Record<string, unknown>>();

/** The record answering input line `n` (a blank line is an error record, so output line N always answers input line N). */
export function simulateLine(evaluator: Evaluator, n: number, text: string, options: SimulateOptions = {}): SimulateRecord {
  if (text.trim() === "") return { line: n, error: `line ${n}: empty line (expected a JSON object)` };
  const parsed = parseFlowLine(text);
  if (!parsed.ok) return { line: n, error: `line ${n}: ${parsed.error}` };
  const f = parsed.flow;
  const d = evaluator.decide(atTime(f, options));
  if (!d.ok) return { line: n, error: `line ${n}: ${d.error.message}` };
  const dec = d.value;
  let path = pathOf.get(dec);
  if (path === undefined) pathOf.set(dec, (path = formatDecisionPath(dec)));
  const record: SimulateRecord = {
    line: n,
    src: formatEndpoint(f.src),
    dst: formatEndpoint(f.dst),
    port: f.port,
    protocol: f.protocol,
    verdict: dec.verdict,
    path,
  };
  if (options.rationale) {
    let r = rationaleOf.get(dec);
    if (r === undefined) rationaleOf.set(dec, (r = rationaleJson(dec)));
    record.rationale = r;
  }
  return record;
}

/** Per decision, the end of its default JSON record: `"verdict":…,"path":…}`. */
const jsonTailOf = new WeakMap<Decision, string>();

/**
 * `simulate --output jsonl`: the JSON line answering input line `n`, the same
 * object `simulateLine` returns, written without a generic JSON.stringify of
 * the record: the part a decision determines is encoded once per decision.
 */
export function jsonlSimulator(evaluator: Evaluator, options: SimulateOptions = {}): (n: number, text: string) => string {
  if (options.rationale) return (n, text) => JSON.stringify(simulateLine(evaluator, n, text, options));
  return (n, text) => {
    const parsed = text.trim() === "" ? null : parseFlowLine(text);
    const d = parsed?.ok ? evaluator.decide(atTime(parsed.flow, options)) : null;
    if (!parsed?.ok || !d?.ok) return JSON.stringify(simulateLine(evaluator, n, text, options));
    const f = parsed.flow;
    let tail = jsonTailOf.get(d.value);
    if (tail === undefined)
      jsonTailOf.set(
        d.value,
        (tail = `"verdict":${JSON.stringify(d.value.verdict)},"path":${JSON.stringify(formatDecisionPath(d.value))}}`),
      );
    return `{"line":${n},"src":${JSON.stringify(formatEndpoint(f.src))},"dst":${JSON.stringify(formatEndpoint(f.dst))},"port":${f.port},"protocol":"${f.protocol}",${tail}`;
  };
}

/** Evaluate flow lines in order: exactly one record per input line. */
export function* simulateLines(evaluator: Evaluator, lines: Iterable<string>, options: SimulateOptions = {}): Generator<SimulateRecord> {
  let n = 0;
  for (const text of lines) yield simulateLine(evaluator, ++n, text, options);
}
