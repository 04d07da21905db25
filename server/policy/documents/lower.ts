/**
 * Lowering: Policyplane documents → the engine's IR (model.ts) for one cluster.
 *
 * Decision order (DESIGN.md): compliance constraints → active exceptions →
 * admin tiers global → regional → cluster (priority order) → namespace tier
 * (NetworkPolicy semantics) → baseline. The evaluator enforces the order from
 * each IR policy's layer/tier/priority; lowering resolves what only the
 * cluster knows: which namespaces a tenant or a namespace-tier policy covers,
 * services (to their pods and target ports), egress gateways (`via`) and scope.
 *
 * Conventions of the document language, as lowered here:
 * - A workload selector ANDs `tenant` (namespaces labelled tenant=<name>),
 *   `namespaces` (names), `namespaceSelector` and `podSelector`; with none of
 *   the namespace parts it covers every namespace.
 * - A namespace-tier policy applies only inside its tenant's namespaces and is
 *   lowered to one IR policy per namespace (as it compiles: one NetworkPolicy each).
 * - `scope`: a policy applies when it has no scope, or the cluster is named in
 *   `clusters`, or the cluster's region is named in `regions`.
 * - `via: <gateway>`: the pod's traffic goes to the gateway's pods (that is what
 *   the CNI sees); the gateway leg to the external peers is an `EgressRoute`
 *   (rendered as Istio config). So a constraint's `exceptVia` needs no carve-out:
 *   gateway traffic is addressed to the gateway, never to `world`.
 */
import {
  NS_NAME_LABEL,
  MATCH_ALL,
  type ClusterModel,
  type Direction,
  type LabelSelector,
  type LabelSelectorRequirement,
  type NamespaceMatch,
  type Peer,
  type Policy,
  type PolicyRule,
  type PolicySet,
  type PortMatch,
  type RuleRef,
  type SourceRef,
  type WorkloadSelector,
} from "../model";
import type { PolicyInputError } from "../errors";
import { matchesSelector } from "../eval/selectors";
import { toSelector } from "../read/manifests";
import { formatPortMatch } from "../util/text";
import type { PathSeg } from "../read/yaml";
import {
  API_VERSION,
  type Peer as DocPeer,
  type PolicyDocument,
  type PortSpec,
  type WorkloadSelector as DocWorkloadSelector,
} from "./schema";
import { docProblem, type LocatedDocument } from "./read";

export const TENANT_LABEL = "tenant";
/** Admin-tier policies without `priority` sit in the middle of their tier. */
export const DEFAULT_ADMIN_PRIORITY = 500;

/** The cluster a document set is lowered (and compiled) for. */
export interface TargetCluster {
  name: string;
  region?: string;
  model: ClusterModel;
  /** What the cluster can enforce (lint warns about rules it cannot); absent: not known, nothing checked. */
  capabilities?: ClusterCapabilities;
  /** Egress gateways by name; default: the workload of that name in the model. */
  gateways?: Record<string, GatewayRef>;
}

/** A cluster's enforcement capabilities, as its agent reports them or an admin sets them (null: unknown). */
export interface ClusterCapabilities {
  cni: "cilium" | "calico" | "other" | null;
  /** The admin policy CRDs it serves: v1alpha1 (ANP), v1alpha2 (CNP), none; null: unknown. */
  adminPolicyApi: "v1alpha1" | "v1alpha2" | "none" | null;
  istio: boolean;
}

export interface GatewayRef {
  namespace: string;
  /** Labels of the gateway's pods. */
  selector: Record<string, string>;
  /** The gateway's Service (host for mesh routing); default: the gateway name. */
  service?: string;
}

/** The gateway leg of a `via` rule: what the gateway forwards to the outside. */
export interface EgressRoute {
  gateway: string;
  gatewayRef: GatewayRef;
  /** The namespaces the subject lives in (where mesh routing must apply). */
  namespaces: string[];
  peers: Peer[];
  ports: PortMatch[] | null;
  ref: RuleRef;
}

export interface LowerResult {
  policies: PolicySet;
  egressRoutes: EgressRoute[];
  /** Documents that do not apply to this cluster (scope), by id. */
  outOfScope: string[];
  warnings: PolicyInputError[];
}

export interface LowerOptions {
  revision?: string;
}

type AnyPolicyDoc = LocatedDocument;

// ---------------------------------------------------------------------------
// Selectors

function nsLabelsOf(model: ClusterModel, name: string): Record<string, string> {
  const ns = model.namespaces.find((n) => n.name === name);
  return { [NS_NAME_LABEL]: name, ...(ns?.labels ?? {}) };
}

/** AND two label selectors (a key required twice with different values becomes an In expression that cannot match). */
export function andSelectors(a: LabelSelector, b: LabelSelector): LabelSelector {
  const matchLabels: Record<string, string> = { ...a.matchLabels };
  const matchExpressions: LabelSelectorRequirement[] = [...a.matchExpressions, ...b.matchExpressions];
  for (const [k, v] of Object.entries(b.matchLabels)) {
    if (matchLabels[k] === undefined || matchLabels[k] === v) matchLabels[k] = v;
    else matchExpressions.push({ key: k, operator: "In", values: [v] });
  }
  return { matchLabels, matchExpressions };
}

/** The namespace part of a document workload selector; null when it names no namespace constraint. */
function namespaceSelectorOf(ws: DocWorkloadSelector): LabelSelector | null {
  let sel: LabelSelector | null = null;
  const and = (s: LabelSelector) => (sel = sel ? andSelectors(sel, s) : s);
  if (ws.tenant) and({ matchLabels: { [TENANT_LABEL]: ws.tenant }, matchExpressions: [] });
  if (ws.namespaces) and({ matchLabels: {}, matchExpressions: [{ key: NS_NAME_LABEL, operator: "In", values: [...ws.namespaces] }] });
  if (ws.namespaceSelector) and(toSelector(ws.namespaceSelector));
  return sel;
}

export function namespaceMatchOf(ws: DocWorkloadSelector): NamespaceMatch {
  if (ws.namespaces && !ws.tenant && !ws.namespaceSelector) return { kind: "names", names: [...ws.namespaces] };
  return { kind: "selector", selector: namespaceSelectorOf(ws) ?? MATCH_ALL };
}

export function workloadSelectorOf(ws: DocWorkloadSelector): WorkloadSelector {
  return { namespaces: namespaceMatchOf(ws), pods: toSelector(ws.podSelector) };
}

/** Namespaces of the model a document workload selector covers. */
export function namespacesCovered(model: ClusterModel, ws: DocWorkloadSelector): string[] {
  const sel = namespaceSelectorOf(ws);
  return model.namespaces.map((n) => n.name).filter((n) => !sel || matchesSelector(sel, nsLabelsOf(model, n)));
}

export function tenantNamespaces(model: ClusterModel, tenant: string): string[] {
  return model.namespaces.filter((n) => nsLabelsOf(model, n.name)[TENANT_LABEL] === tenant).map((n) => n.name);
}

// ---------------------------------------------------------------------------
// Ports and peers

export function portMatchOf(p: PortSpec): PortMatch {
  if (typeof p.port === "string") return { kind: "named", protocol: p.protocol, name: p.port };
  return { kind: "number", protocol: p.protocol, port: p.port, ...(p.endPort !== undefined ? { endPort: p.endPort } : {}) };
}

interface RuleCtx {
  doc: AnyPolicyDoc;
  cluster: TargetCluster;
  warnings: PolicyInputError[];
  /** Path of the rule (or constraint/exception spec) inside the document. */
  path: PathSeg[];
}

function warn(ctx: RuleCtx, path: PathSeg[], message: string): void {
  ctx.warnings.push(docProblem(ctx.doc, path, message, "warning"));
}

/** A Service peer → its selector's pods, with the rule's ports mapped to the service's target ports. */
function resolveService(
  ctx: RuleCtx,
  ref: string,
  ports: readonly PortSpec[] | undefined,
  path: PathSeg[],
): { peer: Peer; ports: PortMatch[] } | null {
  const [namespace, name] = ref.split("/") as [string, string];
  const svc = ctx.cluster.model.services.find((s) => s.namespace === namespace && s.name === name);
  if (!svc) {
    warn(ctx, path, `service ${ref} is not in cluster ${ctx.cluster.name}; this peer matches nothing there`);
    return null;
  }
  if (!svc.selector || Object.keys(svc.selector).length === 0) {
    warn(ctx, path, `service ${ref} has no pod selector (manual endpoints); this peer matches nothing`);
    return null;
  }
  const target = (sp: (typeof svc.ports)[number]): PortMatch =>
    typeof sp.targetPort === "number"
      ? { kind: "number", protocol: sp.protocol, port: sp.targetPort }
      : { kind: "named", protocol: sp.protocol, name: sp.targetPort };
  let mapped: PortMatch[];
  if (!ports) mapped = svc.ports.map(target);
  else {
    mapped = [];
    for (const p of ports) {
      const hits = svc.ports.filter(
        (sp) =>
          sp.protocol === p.protocol &&
          (typeof p.port === "string" ? sp.name === p.port : sp.port >= p.port && sp.port <= (p.endPort ?? p.port)),
      );
      if (hits.length === 0) warn(ctx, path, `service ${ref} has no port ${formatPortMatch(portMatchOf(p))}`);
      mapped.push(...hits.map(target));
    }
  }
  if (mapped.length === 0) return null;
  return {
    peer: {
      kind: "workloads",
      selector: { namespaces: { kind: "names", names: [namespace] }, pods: { matchLabels: { ...svc.selector }, matchExpressions: [] } },
    },
    ports: mapped,
  };
}

export function resolveGateway(cluster: TargetCluster, name: string): { ref: GatewayRef; found: boolean } {
  const explicit = cluster.gateways?.[name];
  if (explicit) return { ref: explicit, found: true };
  const w = cluster.model.workloads.find((x) => x.name === name);
  if (w) {
    const sel =
      w.selector && Object.keys(w.selector.matchLabels).length > 0 && w.selector.matchExpressions.length === 0
        ? w.selector.matchLabels
        : w.labels;
    return { ref: { namespace: w.namespace, selector: { ...sel } }, found: true };
  }
  const pod = cluster.model.pods.find((p) => p.workload?.name === name || p.name === name);
  if (pod) return { ref: { namespace: pod.namespace, selector: { ...pod.labels } }, found: true };
  return { ref: { namespace: "istio-system", selector: { istio: name } }, found: false };
}

function lowerPeer(p: DocPeer): Peer {
  if ("workloads" in p) return { kind: "workloads", selector: workloadSelectorOf(p.workloads) };
  if ("cidr" in p) return { kind: "ipBlock", cidr: p.cidr, except: [...(p.except ?? [])] };
  if ("dns" in p) return { kind: "dns", pattern: p.dns };
  if ("entity" in p) return { kind: "entity", entity: p.entity };
  throw new Error("unreachable: service peers are resolved by the caller");
}

interface DocRule {
  name?: string;
  direction: Direction;
  action: "allow" | "deny" | "pass";
  peers: readonly DocPeer[];
  ports?: readonly PortSpec[];
  via?: string;
}

/**
 * One document rule → IR rules. Service peers carry their own (target) ports,
 * so each becomes its own IR rule with the same rule reference.
 */
function lowerRule(ctx: RuleCtx, rule: DocRule, ruleRef: RuleRef, subjectNamespaces: string[], routes: EgressRoute[]): PolicyRule[] {
  const out: PolicyRule[] = [];
  const ports = rule.ports ? rule.ports.map(portMatchOf) : null;
  if (rule.via) {
    if (rule.direction !== "egress") {
      warn(ctx, [...ctx.path, "via"], "via applies to egress rules; ignored on an ingress rule");
    } else {
      const gw = resolveGateway(ctx.cluster, rule.via);
      if (!gw.found)
        warn(
          ctx,
          [...ctx.path, "via"],
          `egress gateway ${rule.via} is not a workload in cluster ${ctx.cluster.name}; assuming pods labelled istio=${rule.via} in istio-system`,
        );
      const outside = rule.peers.filter((p) => !("service" in p) && !("workloads" in p)).map(lowerPeer);
      if (outside.length < rule.peers.length)
        warn(
          ctx,
          [...ctx.path, "via"],
          "via routes traffic to destinations outside the cluster; workload and service peers of this rule are reached directly",
        );
      const direct = rule.peers.filter((p) => "service" in p || "workloads" in p);
      if (outside.length > 0) {
        routes.push({ gateway: rule.via, gatewayRef: gw.ref, namespaces: subjectNamespaces, peers: outside, ports, ref: ruleRef });
        const gwPeer: Peer = {
          kind: "workloads",
          selector: {
            namespaces: { kind: "names", names: [gw.ref.namespace] },
            pods: { matchLabels: { ...gw.ref.selector }, matchExpressions: [] },
          },
        };
        out.push({ direction: "egress", action: rule.action, peers: [gwPeer], ports, via: rule.via, ref: ruleRef });
      }
      if (direct.length === 0) return out;
      return [...out, ...lowerRule(ctx, { ...rule, via: undefined, peers: direct }, ruleRef, subjectNamespaces, routes)];
    }
  }
  const plain: Peer[] = [];
  rule.peers.forEach((p, i) => {
    if (!("service" in p)) {
      plain.push(lowerPeer(p));
      return;
    }
    const svc = resolveService(ctx, p.service, rule.ports, [...ctx.path, "peers", i]);
    if (svc) out.push({ direction: rule.direction, action: rule.action, peers: [svc.peer], ports: svc.ports, ref: ruleRef });
  });
  if (plain.length > 0) out.unshift({ direction: rule.direction, action: rule.action, peers: plain, ports, ref: ruleRef });
  return out;
}

// ---------------------------------------------------------------------------
// Documents

export function appliesTo(scope: { regions?: string[]; clusters?: string[] } | undefined, cluster: TargetCluster): boolean {
  if (!scope || (!scope.regions && !scope.clusters)) return true;
  return (scope.clusters ?? []).includes(cluster.name) || (cluster.region !== undefined && (scope.regions ?? []).includes(cluster.region));
}

/**
 * Where an admin-tier (global, regional, cluster) or baseline Policy document sits in the decision
 * order, as lowered: its IR id, layer, tier and priority (see compareDecisionOrder).
 */
export function decisionOrderOf(doc: PolicyDocument): Pick<Policy, "id" | "layer" | "tier" | "priority"> {
  const id = `${doc.kind}/${doc.metadata.name}`;
  const { tier, priority } = doc.spec;
  if (tier === "baseline") return { id, layer: "baseline", priority: 0 };
  if (tier === "namespace") throw new Error(`unreachable: ${id} is a namespace-tier policy, which has no admin order`);
  return { id, layer: "admin", tier, priority: priority ?? DEFAULT_ADMIN_PRIORITY };
}

function sourceRef(d: AnyPolicyDoc): SourceRef {
  return {
    kind: d.document.kind,
    apiVersion: API_VERSION,
    name: d.document.metadata.name,
    ...(d.version ? { version: d.version } : {}),
    ...(d.file ? { file: d.file } : {}),
    ...(d.line ? { line: d.line, column: d.column ?? 0 } : {}),
  };
}

function ruleRefOf(d: AnyPolicyDoc, src: SourceRef, direction: Direction, index: number, path: PathSeg[], name?: string): RuleRef {
  const p = d.locate?.(path);
  return { ...src, direction, ruleIndex: index, ...(name ? { ruleName: name } : {}), ...(p ? { line: p.line, column: p.column } : {}) };
}

/** Lower documents (templates already instantiated) for one cluster. */
export function lowerDocuments(docs: readonly LocatedDocument[], cluster: TargetCluster, options: LowerOptions = {}): LowerResult {
  const policies: Policy[] = [];
  const egressRoutes: EgressRoute[] = [];
  const warnings: PolicyInputError[] = [];
  const outOfScope: string[] = [];
  const { model } = cluster;
  const sorted = [...docs].sort((a, b) =>
    a.document.kind + a.document.metadata.name < b.document.kind + b.document.metadata.name ? -1 : 1,
  );
  for (const d of sorted) {
    const doc = d.document;
    const src = sourceRef(d);
    const id = `${doc.kind}/${doc.metadata.name}`;
    if (!appliesTo(doc.spec.scope, cluster)) {
      outOfScope.push(id);
      continue;
    }
    if (doc.kind === "ComplianceConstraint" || doc.kind === "Exception") {
      const path: PathSeg[] = ["spec"];
      const ctx: RuleCtx = { doc: d, cluster, warnings, path };
      const ref = ruleRefOf(d, src, doc.spec.direction, 0, path);
      const rules = lowerRule(
        ctx,
        {
          direction: doc.spec.direction,
          action: doc.kind === "Exception" ? "allow" : "deny",
          peers: doc.spec.peers,
          ...(doc.spec.ports ? { ports: doc.spec.ports } : {}),
        },
        ref,
        namespacesCovered(model, doc.spec.subject),
        egressRoutes,
      );
      policies.push({
        id,
        layer: doc.kind === "Exception" ? "exception" : "constraint",
        subject: workloadSelectorOf(doc.spec.subject),
        policyTypes: { ingress: true, egress: true },
        rules,
        ...(doc.kind === "Exception"
          ? { ...(doc.spec.startsAt ? { startsAt: doc.spec.startsAt } : {}), expiresAt: doc.spec.expiresAt }
          : {}),
        ...(doc.spec.scope ? { scope: { ...doc.spec.scope } } : {}),
        ref: src,
      });
      continue;
    }
    const spec = doc.spec;
    const lowerRules = (subjectNamespaces: string[]): PolicyRule[] =>
      spec.rules.flatMap((r, i) => {
        const path: PathSeg[] = ["spec", "rules", i];
        return lowerRule(
          { doc: d, cluster, warnings, path },
          r,
          ruleRefOf(d, src, r.direction, i, path, r.name),
          subjectNamespaces,
          egressRoutes,
        );
      });
    const scope = spec.scope ? { scope: { ...spec.scope } } : {};
    if (spec.tier === "namespace") {
      const tenant = doc.metadata.tenant!;
      const own = new Set(tenantNamespaces(model, tenant));
      const covered = namespacesCovered(model, spec.subject);
      const foreign = covered.filter((n) => !own.has(n));
      if (foreign.length > 0 && (spec.subject.namespaces || spec.subject.tenant)) {
        warnings.push(
          docProblem(
            d,
            ["spec", "subject"],
            `namespaces ${foreign.join(", ")} do not belong to tenant ${tenant}; a namespace-tier policy applies only to its tenant's namespaces`,
            "warning",
          ),
        );
      }
      const isolate = spec.isolate ?? [...new Set(spec.rules.map((r) => r.direction))];
      spec.rules.forEach((r, i) => {
        if (!isolate.includes(r.direction))
          warnings.push(
            docProblem(
              d,
              ["spec", "rules", i, "direction"],
              `the policy does not isolate ${r.direction} (isolate: [${isolate.join(", ")}]), so this rule has no effect`,
              "warning",
            ),
          );
      });
      for (const ns of covered.filter((n) => own.has(n)).sort()) {
        policies.push({
          id: `${id}@${ns}`,
          layer: "namespace",
          namespace: ns,
          subject: { namespaces: { kind: "names", names: [ns] }, pods: toSelector(spec.subject.podSelector) },
          policyTypes: { ingress: isolate.includes("ingress"), egress: isolate.includes("egress") },
          rules: lowerRules([ns]),
          ...scope,
          ref: { ...src, namespace: ns },
        });
      }
      continue;
    }
    const subjectNs = namespacesCovered(model, spec.subject);
    policies.push({
      ...decisionOrderOf(doc),
      subject: workloadSelectorOf(spec.subject),
      policyTypes: { ingress: true, egress: true },
      rules: lowerRules(subjectNs),
      ...scope,
      ref: src,
    });
  }
  return { policies: { policies, ...(options.revision ? { revision: options.revision } : {}) }, egressRoutes, outOfScope, warnings };
}
