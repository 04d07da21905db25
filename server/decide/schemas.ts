// The decision point's contract (POST /api/v1/decide): one flow in, one verdict out.
// The same schemas validate requests and generate the OpenAPI document (server/api/openapi.ts).
import { z } from "zod";

const LABEL = z.string().min(1).max(317);

/** One side of a flow: exactly one of a pod (namespace + pod), labels (optionally in a namespace), an IP or a DNS name. */
export const decideEndpoint = z
  .object({
    namespace: z.string().min(1).max(253).optional().describe("With `pod`: the pod's namespace. With `labels`: limits the match to it."),
    pod: z.string().min(1).max(253).optional().describe("A pod or workload name (a Deployment name stands for its pods)."),
    labels: z
      .record(LABEL, z.string().max(63))
      .optional()
      .describe("Pods carrying all these labels: the flow is allowed only if it is allowed for every matching identity."),
    ip: z.string().min(2).max(45).optional().describe("An IPv4 or IPv6 address (a pod's, a node's or an external one)."),
    dns: z.string().min(1).max(253).optional().describe("A DNS name (destinations only)."),
  })
  .strict()
  .superRefine((e, ctx) => {
    const kinds = [e.pod !== undefined, e.labels !== undefined, e.ip !== undefined, e.dns !== undefined].filter(Boolean).length;
    if (kinds !== 1) ctx.addIssue({ code: "custom", message: "name exactly one of pod (with namespace), labels, ip or dns" });
    else if (e.pod !== undefined && e.namespace === undefined)
      ctx.addIssue({ code: "custom", path: ["namespace"], message: "a pod needs its namespace" });
    else if (e.labels !== undefined && Object.keys(e.labels).length === 0)
      ctx.addIssue({ code: "custom", path: ["labels"], message: "name at least one label" });
    else if ((e.ip !== undefined || e.dns !== undefined) && e.namespace !== undefined)
      ctx.addIssue({ code: "custom", path: ["namespace"], message: "an ip or dns endpoint has no namespace" });
  });
export type DecideEndpoint = z.infer<typeof decideEndpoint>;

export const decideInput = z
  .object({
    cluster: z.string().min(1).max(120).describe("The cluster the flow happens in (its registered name)."),
    source: decideEndpoint,
    destination: decideEndpoint,
    port: z.number().int().min(1, "1-65535").max(65535, "1-65535"),
    protocol: z.enum(["TCP", "UDP", "SCTP"]).default("TCP"),
    time: z.iso
      .datetime({ offset: true, error: "an RFC 3339 instant with a timezone, e.g. 2026-12-06T09:00:00+01:00" })
      .optional()
      .describe("When the flow happens (exceptions start and expire): default now."),
    dryRun: z
      .object({ changeRequest: z.number().int().min(1).describe("The change request whose proposal decides instead of the release.") })
      .strict()
      .optional(),
  })
  .strict();
export type DecideInput = z.infer<typeof decideInput>;

export const decideOutput = z.object({
  decision: z.enum(["allow", "deny"]),
  reasons: z.array(z.string()).describe("The engine's rationale, one line per direction (egress, ingress) and matched identity."),
  release: z
    .number()
    .int()
    .nullable()
    .describe("The release that decided (0: the policy set before any release); null when no release could be loaded (fail closed)."),
  decisionId: z.uuid(),
  cluster: z.string(),
  dryRun: z.object({ changeRequest: z.number().int() }).optional(),
  cached: z.boolean().describe("Answered from the decision cache of this release."),
  stale: z.boolean().optional().describe("The database is unreachable: the last release loaded decided."),
});
export type DecideOutput = z.infer<typeof decideOutput>;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const text = (v: unknown, min: number, max: number): v is string => typeof v === "string" && v.length >= min && v.length <= max;

/** A pod (namespace + pod), an IP or a DNS name exactly as `decideEndpoint` accepts them; null for anything else. */
function quickEndpoint(e: unknown): DecideEndpoint | null {
  if (!isObject(e)) return null;
  const keys = Object.keys(e).length;
  if (keys === 2 && text(e.namespace, 1, 253) && text(e.pod, 1, 253)) return { namespace: e.namespace, pod: e.pod };
  if (keys !== 1) return null;
  if (text(e.ip, 2, 45)) return { ip: e.ip };
  if (text(e.dns, 1, 253)) return { dns: e.dns };
  return null;
}

/**
 * The decision point's common request (pod, IP or DNS endpoints; port; protocol; no time, labels or dry
 * run) checked by hand, as `decideInput.parse` would return it; null for anything else, which zod then
 * judges (so every refusal keeps zod's message). It only spares zod's work on the hot path.
 */
export function quickDecideInput(v: unknown): DecideInput | null {
  if (!isObject(v)) return null;
  const protocol = v.protocol === undefined ? "TCP" : v.protocol;
  if (Object.keys(v).length !== (v.protocol === undefined ? 4 : 5)) return null;
  if (!text(v.cluster, 1, 120) || (protocol !== "TCP" && protocol !== "UDP" && protocol !== "SCTP")) return null;
  const port = v.port;
  if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535) return null;
  const source = quickEndpoint(v.source);
  const destination = source && quickEndpoint(v.destination);
  if (!source || !destination) return null;
  return { cluster: v.cluster, source, destination, port, protocol };
}

const reasonsText = new WeakMap<readonly string[], string>();

/**
 * JSON.stringify(output), byte for byte, from the answer's reasons serialised once (a cached answer hands
 * out the same array each time): the decision point's reply without walking it on every call.
 */
export function decideOutputJson(o: DecideOutput): string {
  let reasons = reasonsText.get(o.reasons);
  if (reasons === undefined) reasonsText.set(o.reasons, (reasons = JSON.stringify(o.reasons)));
  const dryRun = o.dryRun ? `,"dryRun":{"changeRequest":${JSON.stringify(o.dryRun.changeRequest)}}` : "";
  const stale = o.stale === undefined ? "" : `,"stale":${o.stale}`;
  return `{"decision":${JSON.stringify(o.decision)},"reasons":${reasons},"release":${JSON.stringify(o.release)},"decisionId":${JSON.stringify(o.decisionId)},"cluster":${JSON.stringify(o.cluster)}${dryRun},"cached":${o.cached}${stale}}`;
}
