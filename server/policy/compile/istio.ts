/**
 * Istio egress-gateway routing for `via` rules (networking.istio.io/v1):
 * a ServiceEntry for the external hosts, a Gateway on the egress gateway's
 * pods (TLS passthrough), a DestinationRule naming the gateway subset and a
 * VirtualService that sends mesh traffic for those hosts to the gateway and
 * the gateway's traffic out. Only DNS-name peers on fixed ports can be routed
 * by SNI; anything else is reported by the caller.
 */
import { z } from "zod";
import type { EgressRoute } from "../documents/lower";
import { formatIssues } from "../read/issues";
import { formatPeer, formatPortMatch } from "../util/text";

export const ISTIO_API = "networking.istio.io/v1";

export interface IstioObject {
  apiVersion: typeof ISTIO_API;
  kind: "ServiceEntry" | "Gateway" | "VirtualService" | "DestinationRule";
  metadata: { name: string; namespace: string; labels: Record<string, string>; annotations: Record<string, string> };
  spec: Record<string, unknown>;
}

export interface RenderedRoute {
  objects: IstioObject[];
  problems: string[];
}

/** Render one `via` rule. `meta` gives labels/annotations; names derive from `baseName`. */
export function renderEgressRoute(
  route: EgressRoute,
  baseName: string,
  meta: { labels: Record<string, string>; annotations: Record<string, string> },
): RenderedRoute {
  const problems: string[] = [];
  const hosts: string[] = [];
  for (const p of route.peers) {
    if (p.kind === "dns") hosts.push(p.pattern);
    else
      problems.push(
        `${formatPeer(p)} cannot be routed through egress gateway ${route.gateway} (Istio routes egress by host name); only the pod-to-gateway leg is compiled`,
      );
  }
  const ports: number[] = [];
  for (const p of route.ports ?? []) {
    if (p.kind === "number" && p.port !== undefined && (p.endPort === undefined || p.endPort === p.port)) ports.push(p.port);
    else
      problems.push(
        `port ${formatPortMatch(p)} cannot be routed through egress gateway ${route.gateway}: routing needs fixed port numbers`,
      );
  }
  if (route.ports === null) {
    problems.push(`the rule names no port; routing through egress gateway ${route.gateway} assumes TLS on 443`);
    ports.push(443);
  }
  if (hosts.length === 0 || ports.length === 0) return { objects: [], problems };
  hosts.sort();
  const wildcard = hosts.some((h) => h.startsWith("*."));
  if (wildcard)
    problems.push(
      `wildcard hosts (${hosts.filter((h) => h.startsWith("*.")).join(", ")}) are passed through the gateway by SNI with resolution NONE; the gateway must be able to reach any address for them`,
    );
  const ns = route.gatewayRef.namespace;
  const gwHost = `${route.gatewayRef.service ?? route.gateway}.${ns}.svc.cluster.local`;
  const subset = baseName;
  const md = (kind: string) => ({ name: `${baseName}${kind}`, namespace: ns, labels: meta.labels, annotations: meta.annotations });
  const tlsPort = (n: number) => ({ number: n, name: `tls-${n}`, protocol: "TLS" });
  const objects: IstioObject[] = [
    {
      apiVersion: ISTIO_API,
      kind: "ServiceEntry",
      metadata: md(""),
      spec: { hosts, ports: ports.map(tlsPort), resolution: wildcard ? "NONE" : "DNS", location: "MESH_EXTERNAL" },
    },
    {
      apiVersion: ISTIO_API,
      kind: "Gateway",
      metadata: md(""),
      spec: {
        selector: { ...route.gatewayRef.selector },
        servers: ports.map((n) => ({ port: tlsPort(n), hosts, tls: { mode: "PASSTHROUGH" } })),
      },
    },
    {
      apiVersion: ISTIO_API,
      kind: "DestinationRule",
      metadata: md(""),
      spec: { host: gwHost, subsets: [{ name: subset }] },
    },
    {
      apiVersion: ISTIO_API,
      kind: "VirtualService",
      metadata: md(""),
      spec: {
        hosts,
        gateways: ["mesh", baseName],
        tls: ports.flatMap((n) => [
          {
            match: [{ gateways: ["mesh"], port: n, sniHosts: hosts }],
            route: [{ destination: { host: gwHost, subset, port: { number: n } } }],
          },
          ...hosts.map((h) => ({
            match: [{ gateways: [baseName], port: n, sniHosts: [h] }],
            route: [{ destination: { host: h, port: { number: n } } }],
          })),
        ]),
      },
    },
  ];
  return { objects, problems };
}

// Schemas of the subset rendered above (Istio is not in kubernetes-models nor in the engine's readers).
const port = z.number().int().min(1).max(65535);
const meta = z.strictObject({
  name: z.string().min(1).max(253),
  namespace: z.string().min(1),
  labels: z.record(z.string(), z.string()),
  annotations: z.record(z.string(), z.string()),
});
const host = z.string().regex(/^(\*\.)?[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
const tlsPortSchema = z.strictObject({ number: port, name: z.string().min(1), protocol: z.enum(["TLS", "HTTPS", "HTTP", "TCP"]) });
const specs = {
  ServiceEntry: z.strictObject({
    hosts: z.array(host).min(1),
    ports: z.array(tlsPortSchema).min(1),
    resolution: z.enum(["DNS", "NONE", "STATIC"]),
    location: z.enum(["MESH_EXTERNAL", "MESH_INTERNAL"]),
  }),
  Gateway: z.strictObject({
    selector: z.record(z.string(), z.string()),
    servers: z
      .array(
        z.strictObject({
          port: tlsPortSchema,
          hosts: z.array(host).min(1),
          tls: z.strictObject({ mode: z.enum(["PASSTHROUGH", "SIMPLE", "ISTIO_MUTUAL"]) }),
        }),
      )
      .min(1),
  }),
  DestinationRule: z.strictObject({ host, subsets: z.array(z.strictObject({ name: z.string().min(1) })).min(1) }),
  VirtualService: z.strictObject({
    hosts: z.array(host).min(1),
    gateways: z.array(z.string().min(1)).min(1),
    tls: z
      .array(
        z.strictObject({
          match: z.array(z.strictObject({ gateways: z.array(z.string()), port, sniHosts: z.array(host).min(1) })).min(1),
          route: z
            .array(
              z.strictObject({
                destination: z.strictObject({ host, subset: z.string().optional(), port: z.strictObject({ number: port }) }),
              }),
            )
            .min(1),
        }),
      )
      .min(1),
  }),
} as const;

/** Validate rendered Istio objects; returns one message per problem. */
export function validateIstio(obj: IstioObject): string[] {
  const out: string[] = [];
  const m = meta.safeParse(obj.metadata, { reportInput: true });
  if (!m.success) out.push(...formatIssues(m.error.issues, ["metadata"]));
  const s = specs[obj.kind].safeParse(obj.spec, { reportInput: true });
  if (!s.success) out.push(...formatIssues(s.error.issues, ["spec"]));
  return out;
}
