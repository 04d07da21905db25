/**
 * AdminNetworkPolicy and BaselineAdminNetworkPolicy (policy.networking.k8s.io/v1alpha1), and the
 * subject, peer and rule conversion ClusterNetworkPolicy (./cluster-network-policy.ts) shares.
 */
import {
  MATCH_ALL,
  type AdminTier,
  type LabelSelector,
  type NamespaceMatch,
  type Peer,
  type Policy,
  type PolicyRule,
  type PortMatch,
  type Protocol,
  type SourceRef,
} from "../model";
import * as S from "./schemas";
import { anpAdvisories, selectorAdvisories } from "./advisories";
import { advise, ref, ruleRef, toSelector, validate, type Ctx, type RawSelector } from "./manifest-context";

type RawSubject = S.RawAdminNetworkPolicy["spec"]["subject"];
export interface RawAnpPeer {
  namespaces?: RawSelector | null;
  /** namespaceSelector is optional from ClusterNetworkPolicy v1alpha2 on (omitted = every namespace). */
  pods?: { namespaceSelector?: RawSelector | null; podSelector: RawSelector } | null;
  nodes?: RawSelector | null;
  networks?: string[] | null;
  domainNames?: string[] | null;
}
interface RawAnpPort {
  portNumber?: { protocol?: string | null; port: number } | null;
  namedPort?: string | null;
  portRange?: { protocol?: string | null; start: number; end: number } | null;
}

export function anpSubject(s: RawSubject | S.RawClusterNetworkPolicy["spec"]["subject"]): {
  namespaces: NamespaceMatch;
  pods: LabelSelector;
} {
  if (s.pods)
    return {
      namespaces: { kind: "selector", selector: s.pods.namespaceSelector ? toSelector(s.pods.namespaceSelector) : MATCH_ALL },
      pods: toSelector(s.pods.podSelector),
    };
  return { namespaces: { kind: "selector", selector: toSelector(s.namespaces) }, pods: MATCH_ALL };
}

function anpPeers(p: RawAnpPeer): Peer[] {
  if (p.pods)
    return [
      {
        kind: "workloads",
        selector: {
          namespaces: { kind: "selector", selector: p.pods.namespaceSelector ? toSelector(p.pods.namespaceSelector) : MATCH_ALL },
          pods: toSelector(p.pods.podSelector),
        },
      },
    ];
  if (p.namespaces)
    return [{ kind: "workloads", selector: { namespaces: { kind: "selector", selector: toSelector(p.namespaces) }, pods: MATCH_ALL } }];
  if (p.nodes) return [{ kind: "nodes", selector: toSelector(p.nodes) }];
  if (p.networks) return p.networks.map((c) => ({ kind: "ipBlock", cidr: c, except: [] }));
  if (p.domainNames) return p.domainNames.map((d) => ({ kind: "dns", pattern: d.replace(/\.$/, "") }));
  return [];
}

/** A protocol the CRD accepts but nothing matches on (./advisories.ts warns): the port matches nothing, like a name no container port has. */
const NO_PORT: PortMatch = { kind: "named", name: "" };
const knownProtocol = (p: string | null | undefined): Protocol | null =>
  p == null ? "TCP" : (S.PROTOCOLS as readonly string[]).includes(p) ? (p as Protocol) : null;

function anpPort(p: RawAnpPort): PortMatch {
  const spec = p.portNumber ?? p.portRange;
  if (spec) {
    const protocol = knownProtocol(spec.protocol);
    if (!protocol) return NO_PORT;
    return p.portNumber
      ? { kind: "number", protocol, port: p.portNumber.port }
      : { kind: "number", protocol, port: p.portRange!.start, endPort: p.portRange!.end };
  }
  return { kind: "named", name: p.namedPort ?? "" };
}

const ACTION = { Allow: "allow", Accept: "allow", Deny: "deny", Pass: "pass" } as const;

/** A rule of either version: its ports are read by the version's own function. */
export interface RawAdminRule {
  name?: string | null;
  action: keyof typeof ACTION;
  from?: RawAnpPeer[];
  to?: RawAnpPeer[];
}

interface RawAnpRule extends RawAdminRule {
  ports?: RawAnpPort[] | null;
}

export function adminRules<R extends RawAdminRule>(
  ctx: Ctx,
  src: SourceRef,
  spec: { ingress?: R[] | null; egress?: R[] | null },
  portsOf: (r: R) => PortMatch[] | null,
): PolicyRule[] {
  const rules: PolicyRule[] = [];
  for (const direction of ["ingress", "egress"] as const) {
    (spec[direction] ?? []).forEach((r, i) => {
      const peers = (direction === "ingress" ? r.from : r.to) ?? [];
      rules.push({
        direction,
        action: ACTION[r.action],
        peers: peers.flatMap(anpPeers),
        ports: portsOf(r),
        ref: ruleRef(ctx, src, direction, direction, i, r.name),
      });
    });
  }
  return rules;
}

const anpPorts = (r: RawAnpRule): PortMatch[] | null => (r.ports ? r.ports.map(anpPort) : null);

export function readAnp(ctx: Ctx, out: Policy[], apiVersion: string, tier: AdminTier): void {
  const anp = validate(ctx, S.adminNetworkPolicy);
  if (!anp) return;
  advise(ctx, [...anpAdvisories(anp.spec), ...selectorAdvisories(anp.spec, ["spec"])]);
  const src = ref(ctx, "AdminNetworkPolicy", apiVersion, anp.metadata.name, undefined, anp.metadata.resourceVersion);
  out.push({
    id: `AdminNetworkPolicy/${anp.metadata.name}`,
    layer: "admin",
    tier,
    priority: anp.spec.priority,
    subject: anpSubject(anp.spec.subject),
    policyTypes: { ingress: true, egress: true },
    rules: adminRules(ctx, src, anp.spec as { ingress?: RawAnpRule[] | null; egress?: RawAnpRule[] | null }, anpPorts),
    ref: src,
  });
}

export function readBanp(ctx: Ctx, out: Policy[], apiVersion: string): void {
  const banp = validate(ctx, S.baselineAdminNetworkPolicy);
  if (!banp) return;
  advise(ctx, [...anpAdvisories(banp.spec), ...selectorAdvisories(banp.spec, ["spec"])]);
  const src = ref(ctx, "BaselineAdminNetworkPolicy", apiVersion, banp.metadata.name, undefined, banp.metadata.resourceVersion);
  out.push({
    id: `BaselineAdminNetworkPolicy/${banp.metadata.name}`,
    layer: "baseline",
    priority: 0,
    subject: anpSubject(banp.spec.subject),
    policyTypes: { ingress: true, egress: true },
    rules: adminRules(ctx, src, banp.spec as { ingress?: RawAnpRule[] | null; egress?: RawAnpRule[] | null }, anpPorts),
    ref: src,
  });
}
