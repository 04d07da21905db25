/** Flow input lines (`simulate --flows`): parsing and evaluation, shared by the CLI and the replay simulator. */
import { z } from "zod";
import type { Flow, FlowEndpoint, Protocol } from "./model";
import type { Evaluator } from "./eval/evaluator";
import { rationaleJson } from "./eval/explain";
import { isIp } from "./util/ip";

const DNS_NAME = /^(?=.{1,253}$)([a-zA-Z0-9_]([-a-zA-Z0-9_]*[a-zA-Z0-9])?\.)*[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?\.?$/;

/** "<namespace>/<pod>", an IPv4/IPv6 address, or a DNS name. */
export function parseEndpoint(s: string): FlowEndpoint | null {
  const t = s.trim();
  const slash = t.indexOf("/");
  if (slash > 0 && slash === t.lastIndexOf("/") && slash < t.length - 1) return { kind: "pod", namespace: t.slice(0, slash), name: t.slice(slash + 1) };
  if (isIp(t)) return { kind: "ip", ip: t };
  if (DNS_NAME.test(t) && /[a-zA-Z]/.test(t)) return { kind: "dns", name: t.replace(/\.$/, "") };
  return null;
}

export function formatEndpoint(e: FlowEndpoint): string {
  return e.kind === "pod" ? `${e.namespace}/${e.name}` : e.kind === "ip" ? e.ip : e.name;
}

const flowLine = z.object({
  src: z.string({ error: "src: expected a string (\"<namespace>/<pod>\" or an IP address)" }),
  dst: z.string({ error: "dst: expected a string (\"<namespace>/<pod>\" or an IP address)" }),
  port: z.number({ error: "port: expected a number" }).int("port: expected an integer").min(1, "port: expected 1-65535").max(65535, "port: expected 1-65535"),
  protocol: z
    .string()
    .transform((p) => p.toUpperCase())
    .pipe(z.enum(["TCP", "UDP", "SCTP"], { error: "protocol: expected TCP, UDP or SCTP" }))
    .optional(),
  time: z.string().optional(),
});

export type FlowLineResult = { ok: true; flow: Flow } | { ok: false; error: string };

/** Parse one JSON line of the flows file. */
export function parseFlowLine(text: string): FlowLineResult {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: `invalid JSON: ${(e as Error).message}` };
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return { ok: false, error: "expected a JSON object with src, dst, port, protocol" };
  const r = flowLine.safeParse(raw);
  if (!r.success) {
    const first = r.error.issues[0]!;
    const field = first.path.join(".");
    const msg = first.message.includes(":") || !field ? first.message : `${field}: ${first.message}`;
    return { ok: false, error: msg };
  }
  const src = parseEndpoint(r.data.src);
  if (!src) return { ok: false, error: `src: expected "<namespace>/<pod>", an IP address or a DNS name, got ${JSON.stringify(r.data.src)}` };
  const dst = parseEndpoint(r.data.dst);
  if (!dst) return { ok: false, error: `dst: expected "<namespace>/<pod>", an IP address or a DNS name, got ${JSON.stringify(r.data.dst)}` };
  if (r.data.time !== undefined && Number.isNaN(Date.parse(r.data.time))) return { ok: false, error: `time: expected an ISO-8601 instant, got ${JSON.stringify(r.data.time)}` };
  const protocol: Protocol = r.data.protocol ?? "TCP";
  return { ok: true, flow: { src, dst, port: r.data.port, protocol, ...(r.data.time ? { time: r.data.time } : {}) } };
}

export type SimulateRecord =
  | { line: number; src: string; dst: string; port: number; protocol: Protocol; verdict: "allow" | "deny"; path: string; rationale: Record<string, unknown> }
  | { line: number; error: string };

/**
 * Evaluate flow lines in order: exactly one record per input line (a blank
 * line yields an error record, so output line N always answers input line N).
 */
export function* simulateLines(evaluator: Evaluator, lines: Iterable<string>): Generator<SimulateRecord> {
  let n = 0;
  for (const text of lines) {
    n++;
    if (text.trim() === "") {
      yield { line: n, error: `line ${n}: empty line (expected a JSON object)` };
      continue;
    }
    const parsed = parseFlowLine(text);
    if (!parsed.ok) {
      yield { line: n, error: `line ${n}: ${parsed.error}` };
      continue;
    }
    const f = parsed.flow;
    const d = evaluator.decide(f);
    if (!d.ok) {
      yield { line: n, error: `line ${n}: ${d.error.message}` };
      continue;
    }
    const rationale = rationaleJson(d.value);
    yield { line: n, src: formatEndpoint(f.src), dst: formatEndpoint(f.dst), port: f.port, protocol: f.protocol, verdict: d.value.verdict, path: rationale.path as string, rationale };
  }
}
