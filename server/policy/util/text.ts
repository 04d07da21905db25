/** How the engine writes ports, peers and rules in messages, rationales and labels. */
import { refLabel, type Peer, type PortMatch, type RuleRef } from "../model";

/** `443/TCP`: a flow's port, and the port labels of reachability edges. */
export function formatPortProtocol(port: number, protocol: string): string {
  return `${port}/${protocol}`;
}

/** One port clause: `443/TCP`, `8000-8100/TCP`, `any UDP port`, `https` or `https/TCP` (named). */
export function formatPortMatch(p: PortMatch): string {
  if (p.kind === "named") return `${p.name}${p.protocol ? `/${p.protocol}` : ""}`;
  if (p.port === undefined) return `any ${p.protocol} port`;
  return `${p.port}${p.endPort !== undefined && p.endPort !== p.port ? `-${p.endPort}` : ""}/${p.protocol}`;
}

/** A rule's ports; null (no port clause) is `any port`. */
export function formatPorts(ports: readonly PortMatch[] | null): string {
  return ports ? ports.map(formatPortMatch).join(", ") : "any port";
}

/** A peer in a sentence: `DNS name api.stripe.com`, `CIDR 10.0.0.0/8`, `entity world`, `service payments/ledger`. */
export function formatPeer(p: Peer): string {
  switch (p.kind) {
    case "dns":
      return `DNS name ${p.pattern}`;
    case "entity":
      return `entity ${p.entity}`;
    case "ipBlock":
      return `CIDR ${p.cidr}${p.except.length > 0 ? ` except ${p.except.join(", ")}` : ""}`;
    case "service":
      return `service ${p.namespace}/${p.name}`;
    case "nodes":
      return "nodes";
    case "workloads":
      return "workloads";
  }
}

/** `payments/allow-api ingress rule 0 "from-web"`: a rule within its object. */
export function ruleLabel(ref: RuleRef): string {
  return `${refLabel(ref)} ${ref.direction} rule ${ref.ruleIndex}${ref.ruleName ? ` "${ref.ruleName}"` : ""}`;
}

/** `NetworkPolicy payments/allow-api ingress rule 0`: a rule with its object's kind. */
export function describeRule(ref: RuleRef): string {
  return `${ref.kind} ${ruleLabel(ref)}`;
}
