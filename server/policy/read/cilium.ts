/**
 * CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy (cilium.io/v2), the L3/L4 subset: what is
 * not modelled (L7 rules, reserved identities, host firewall, CIDR groups …) is a located warning.
 */
import {
  NS_NAME_LABEL,
  MATCH_ALL,
  type Direction,
  type Entity,
  type LabelSelector,
  type LabelSelectorRequirement,
  type NamespaceMatch,
  type Peer,
  type Policy,
  type PolicyRule,
  type PortMatch,
  type Protocol,
} from "../model";
import type { PathSeg } from "./yaml";
import * as S from "./schemas";
import { selectorAdvisories } from "./advisories";
import { advise, at, ref, toRequirement, validate, type Ctx, type RawSelector } from "./manifest-context";

const CILIUM_NS = "io.kubernetes.pod.namespace";
const CILIUM_NS_LABEL = "io.cilium.k8s.namespace.labels.";

/** Cilium endpoint selector → workload selector; null when it uses reserved identities we do not model. */
function ciliumSelector(
  raw: RawSelector | null | undefined,
  clusterWide: boolean,
): { sel: { namespaces: NamespaceMatch; pods: LabelSelector } | null; reserved?: string } {
  const podLabels: Record<string, string> = {};
  const podExpr: LabelSelectorRequirement[] = [];
  const nsLabels: Record<string, string> = {};
  const nsExpr: LabelSelectorRequirement[] = [];
  const strip = (k: string): string => k.replace(/^(k8s|any):/, "");
  for (const [k0, v] of Object.entries(raw?.matchLabels ?? {})) {
    if (k0.startsWith("reserved:")) return { sel: null, reserved: k0 };
    const k = strip(k0);
    if (k === CILIUM_NS) nsLabels[NS_NAME_LABEL] = v;
    else if (k.startsWith(CILIUM_NS_LABEL)) nsLabels[k.slice(CILIUM_NS_LABEL.length)] = v;
    else podLabels[k] = v;
  }
  for (const r of raw?.matchExpressions ?? []) {
    if (r.key.startsWith("reserved:")) return { sel: null, reserved: r.key };
    const k = strip(r.key);
    const { operator, values } = toRequirement(r);
    const req = { operator, values };
    if (k === CILIUM_NS) nsExpr.push({ key: NS_NAME_LABEL, ...req });
    else if (k.startsWith(CILIUM_NS_LABEL)) nsExpr.push({ key: k.slice(CILIUM_NS_LABEL.length), ...req });
    else podExpr.push({ key: k, ...req });
  }
  const hasNs = Object.keys(nsLabels).length > 0 || nsExpr.length > 0;
  const namespaces: NamespaceMatch = hasNs
    ? { kind: "selector", selector: { matchLabels: nsLabels, matchExpressions: nsExpr } }
    : clusterWide
      ? { kind: "selector", selector: MATCH_ALL }
      : { kind: "policy" };
  return { sel: { namespaces, pods: { matchLabels: podLabels, matchExpressions: podExpr } } };
}

const CILIUM_ENTITY: Partial<Record<(typeof S.CILIUM_ENTITIES)[number], Entity>> = {
  world: "world",
  cluster: "cluster",
  host: "host",
  "remote-node": "remote-node",
  "kube-apiserver": "kube-apiserver",
  all: "all",
};

type CiliumIngress = NonNullable<S.RawCiliumRule["ingress"]>[number];
type CiliumEgress = NonNullable<S.RawCiliumRule["egress"]>[number];

export function readCilium(ctx: Ctx, out: Policy[], apiVersion: string, clusterWide: boolean): void {
  const cp = validate(ctx, S.ciliumPolicy);
  if (!cp) return;
  advise(ctx, [...selectorAdvisories(cp.spec, ["spec"]), ...selectorAdvisories(cp.specs, ["specs"])]);
  const kind = clusterWide ? "CiliumClusterwideNetworkPolicy" : "CiliumNetworkPolicy";
  const namespace = clusterWide ? undefined : (cp.metadata.namespace ?? "default");
  const src = ref(ctx, kind, apiVersion, cp.metadata.name, namespace, cp.metadata.resourceVersion);
  const specs: { rule: S.RawCiliumRule; path: PathSeg[] }[] = cp.spec
    ? [{ rule: cp.spec, path: ["spec"] }]
    : (cp.specs ?? []).map((rule, i) => ({ rule, path: ["specs", i] }));
  specs.forEach(({ rule, path }, specIndex) => {
    if (rule.nodeSelector) {
      ctx.warnings.push(at(ctx, [...path, "nodeSelector"], "host firewall policies (nodeSelector) are not evaluated", "warning"));
      return;
    }
    const subj = ciliumSelector(rule.endpointSelector, clusterWide);
    if (!subj.sel) {
      ctx.warnings.push(
        at(ctx, [...path, "endpointSelector"], `endpointSelector on reserved identity ${subj.reserved} is not evaluated`, "warning"),
      );
      return;
    }
    // namespace is undefined exactly when the policy is clusterwide.
    const subject =
      namespace === undefined || subj.sel.namespaces.kind !== "policy"
        ? subj.sel
        : { namespaces: { kind: "names" as const, names: [namespace] }, pods: subj.sel.pods };
    const rules: PolicyRule[] = [];
    const convert = (
      direction: Direction,
      key: "ingress" | "ingressDeny" | "egress" | "egressDeny",
      list: (CiliumIngress | CiliumEgress)[] | null | undefined,
    ) => {
      (list ?? []).forEach((r, i) => {
        const rpath: PathSeg[] = [...path, key, i];
        const peers: Peer[] = [];
        let hasL3 = false;
        const endpoints = "fromEndpoints" in r ? r.fromEndpoints : "toEndpoints" in r ? r.toEndpoints : undefined;
        for (const e of endpoints ?? []) {
          hasL3 = true;
          const s = ciliumSelector(e, clusterWide);
          if (s.sel) peers.push({ kind: "workloads", selector: s.sel });
          else ctx.warnings.push(at(ctx, rpath, `endpoint selector on reserved identity ${s.reserved} is not evaluated`, "warning"));
        }
        const cidrs = "fromCIDR" in r ? r.fromCIDR : "toCIDR" in r ? r.toCIDR : undefined;
        for (const c of cidrs ?? []) {
          hasL3 = true;
          peers.push({ kind: "ipBlock", cidr: c, except: [] });
        }
        const sets = "fromCIDRSet" in r ? r.fromCIDRSet : "toCIDRSet" in r ? r.toCIDRSet : undefined;
        for (const c of sets ?? []) {
          hasL3 = true;
          if (c.cidr) peers.push({ kind: "ipBlock", cidr: c.cidr, except: [...(c.except ?? [])] });
          else ctx.warnings.push(at(ctx, rpath, "cidrGroupRef is not evaluated", "warning"));
        }
        const entities = "fromEntities" in r ? r.fromEntities : "toEntities" in r ? r.toEntities : undefined;
        for (const e of entities ?? []) {
          hasL3 = true;
          const ent = CILIUM_ENTITY[e];
          if (ent) peers.push({ kind: "entity", entity: ent });
          else ctx.warnings.push(at(ctx, rpath, `entity "${e}" is not modelled and matches nothing`, "warning"));
        }
        if ("toFQDNs" in r) {
          (r.toFQDNs ?? []).forEach((f, j) => {
            hasL3 = true;
            const name = f.matchName ?? f.matchPattern;
            // The CRD accepts an entry with neither or both; Cilium's agent does not.
            if (name == null || (f.matchName != null && f.matchPattern != null))
              ctx.warnings.push(
                at(
                  ctx,
                  [...rpath, "toFQDNs", j],
                  "a toFQDNs entry needs exactly one of matchName and matchPattern; this one matches nothing",
                  "warning",
                ),
              );
            else peers.push({ kind: "dns", pattern: name.replace(/\.$/, "") });
          });
        }
        if ("toServices" in r) {
          for (const s of r.toServices ?? []) {
            hasL3 = true;
            if (s.k8sService)
              peers.push({ kind: "service", namespace: s.k8sService.namespace ?? namespace ?? "default", name: s.k8sService.serviceName });
            else ctx.warnings.push(at(ctx, rpath, "toServices.k8sServiceSelector is not evaluated", "warning"));
          }
        }
        for (const extra of ["fromRequires", "toRequires", "fromNodes", "toNodes", "toGroups"] as const) {
          if (extra in r && (r as Record<string, unknown>)[extra] != null)
            ctx.warnings.push(at(ctx, [...rpath, extra], `${extra} is not evaluated`, "warning"));
        }
        let ports: PortMatch[] | null = null;
        if (r.toPorts && r.toPorts.length > 0) {
          ports = [];
          for (const pr of r.toPorts) {
            if (pr.rules && Object.keys(pr.rules).length > 0)
              ctx.warnings.push(at(ctx, [...rpath, "toPorts"], "L7 rules are not evaluated; the rule is treated as an L4 rule", "warning"));
            if (!pr.ports || pr.ports.length === 0) {
              ports = null;
              break;
            }
            for (const p of pr.ports) {
              const protos: Protocol[] = !p.protocol || p.protocol === "ANY" ? ["TCP", "UDP", "SCTP"] : [p.protocol];
              for (const protocol of protos) {
                if (typeof p.port === "string") ports.push({ kind: "named", protocol, name: p.port });
                else if (p.port === 0) ports.push({ kind: "number", protocol });
                else ports.push({ kind: "number", protocol, port: p.port, ...(p.endPort ? { endPort: p.endPort } : {}) });
              }
            }
          }
        }
        // Cilium: a rule with neither L3 peers nor ports selects nothing (`ingress: [{}]` is a default deny).
        if (!hasL3 && !r.toPorts?.length) return;
        const action = key.endsWith("Deny") ? "deny" : "allow";
        const p = ctx.obj.locate(rpath);
        rules.push({
          direction,
          action,
          peers: hasL3 ? peers : null,
          ports,
          ref: {
            ...src,
            direction,
            ruleIndex: i,
            ruleName: `${specs.length > 1 ? `specs[${specIndex}].` : ""}${key}[${i}]`,
            line: p.line,
            column: p.column,
          },
        });
      });
    };
    convert("ingress", "ingress", rule.ingress);
    convert("ingress", "ingressDeny", rule.ingressDeny);
    convert("egress", "egress", rule.egress);
    convert("egress", "egressDeny", rule.egressDeny);
    const dd = rule.enableDefaultDeny;
    out.push({
      id: `${kind}/${namespace ? `${namespace}/` : ""}${cp.metadata.name}${specs.length > 1 ? `#${specIndex}` : ""}`,
      layer: "namespace",
      ...(namespace ? { namespace } : {}),
      subject,
      ...(dd?.ingress === false || dd?.egress === false
        ? { nonIsolating: { ingress: dd.ingress === false, egress: dd.egress === false } }
        : {}),
      policyTypes: {
        ingress: rule.ingress != null || rule.ingressDeny != null,
        egress: rule.egress != null || rule.egressDeny != null,
      },
      rules,
      ref: src,
    });
  });
}
