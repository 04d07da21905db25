/**
 * ClusterNetworkPolicy (policy.networking.k8s.io/v1alpha2, v1beta1): tier Admin or Baseline,
 * priority, Accept/Deny/Pass, ports as `protocols`. Subjects, peers and rules read as in
 * AdminNetworkPolicy (./admin-network-policy.ts).
 */
import type { AdminTier, Policy, PortMatch } from "../model";
import * as S from "./schemas";
import { cnpAdvisories, selectorAdvisories } from "./advisories";
import { advise, ref, validate, type Ctx } from "./manifest-context";
import { adminRules, anpSubject, type RawAdminRule } from "./admin-network-policy";

type CnpProtocol = {
  tcp?: { destinationPort?: { number?: number | null; range?: { start: number; end: number } | null } | null } | null;
  udp?: CnpProtocol["tcp"];
  sctp?: CnpProtocol["tcp"];
  destinationNamedPort?: string | null;
};

interface RawCnpRule extends RawAdminRule {
  protocols?: CnpProtocol[] | null;
}

function cnpPorts(list: CnpProtocol[]): PortMatch[] {
  return list.map((p): PortMatch => {
    if (p.destinationNamedPort) return { kind: "named", name: p.destinationNamedPort };
    const [protocol, spec] = p.tcp ? (["TCP", p.tcp] as const) : p.udp ? (["UDP", p.udp] as const) : (["SCTP", p.sctp] as const);
    const dp = spec?.destinationPort;
    if (!dp) return { kind: "number", protocol };
    if (dp.range) return { kind: "number", protocol, port: dp.range.start, endPort: dp.range.end };
    return { kind: "number", protocol, port: dp.number ?? undefined };
  });
}

export function readCnp(ctx: Ctx, out: Policy[], apiVersion: string, tier: AdminTier): void {
  const cnp = validate(ctx, S.clusterNetworkPolicy);
  if (!cnp) return;
  advise(ctx, [...cnpAdvisories(cnp.spec), ...selectorAdvisories(cnp.spec, ["spec"])]);
  const src = ref(ctx, "ClusterNetworkPolicy", apiVersion, cnp.metadata.name, undefined, cnp.metadata.resourceVersion);
  const admin = cnp.spec.tier === "Admin";
  out.push({
    id: `ClusterNetworkPolicy/${cnp.metadata.name}`,
    layer: admin ? "admin" : "baseline",
    ...(admin ? { tier } : {}),
    priority: cnp.spec.priority,
    subject: anpSubject(cnp.spec.subject),
    policyTypes: { ingress: true, egress: true },
    rules: adminRules(ctx, src, cnp.spec as unknown as { ingress?: RawCnpRule[] | null; egress?: RawCnpRule[] | null }, (r) =>
      r.protocols ? cnpPorts(r.protocols) : null,
    ),
    ref: src,
  });
}
