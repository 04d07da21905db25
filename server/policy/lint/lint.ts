/**
 * Lint for Policyplane documents, against an inventory (cluster models) and a
 * label taxonomy when given. Each finding has an id, a severity, a location
 * (document, rule, field path, line/column when read from YAML) and a message
 * a person can act on.
 *
 * | id                      | severity | what                                                                  |
 * |-------------------------|----------|-----------------------------------------------------------------------|
 * | no-match                | warning  | a subject or workload peer selects no workload in the inventory        |
 * | shadowed                | warning  | an earlier admin/baseline rule covers this rule's subject, peers and ports with another action: this rule never decides |
 * |                         | info     | ... with the same action: this rule is redundant                       |
 * | broad-allow             | warning  | any port to world (or 0.0.0.0/0), or every pod of every namespace on any port |
 * |                         | info     | every pod of every namespace, on named ports                          |
 * | constraint-conflict     | error    | an allow (or exception) that a compliance constraint would deny        |
 * | tenant-no-default-deny  | warning  | a tenant namespace that nothing isolates (ingress or egress)           |
 * | label-taxonomy          | warning  | a selector on a label key or value outside the taxonomy                |
 * | one-sided-allow         | warning  | a namespace-tier allow whose other end denies the flow (e.g. an ingress |
 * |                         |          | allow whose sources may not egress there), checked by evaluating it     |
 * | lowering                | warning  | what lowering for a cluster reported (unknown service, gateway, …)     |
 * | compile-disagreement    | error    | the objects compiled for a cluster (either target), under plain        |
 * |                         |          | Kubernetes semantics, decide a flow unlike the platform (compile --verify) |
 * | not-expressible         | info     | flows a target cannot express exactly, per cluster and target          |
 * | capability              | warning  | a rule needs what a cluster in its scope lacks: DNS-name egress without |
 * |                         |          | Cilium, an admin tier without admin policy CRDs, `via` without Istio    |
 */
import { compareDecisionOrder, createEvaluator, type Evaluator } from "../eval/evaluator";
import { compileWorkloadSelector, dnsMatches, isEmptySelector, isKubeDns } from "../eval/selectors";
import { cidrContainsCidr, parseCidr } from "../util/ip";
import { formatPortProtocol } from "../util/text";
import type { LabelSelector, Labels, NamedPort, NamespaceMatch, PortMatch } from "../model";
import {
  appliesTo,
  decisionOrderOf,
  lowerDocuments,
  portMatchOf,
  workloadSelectorOf,
  TENANT_LABEL,
  type LowerResult,
  type TargetCluster,
} from "../documents/lower";
import { NS_NAME_LABEL, type PlatformDefault } from "../model";
import { COMPILE_TARGETS, compileLowered } from "../compile/compile";
import { formatVerifyFinding, verifyCompiled, type VerifyFinding } from "../compile/verify";
import type { LocatedDocument } from "../documents/read";
import type { PathSeg } from "../read/yaml";
import { formatPath } from "../read/yaml";
import {
  ADMIN_TIERS,
  type Peer as DocPeer,
  type PolicyDocument,
  type PortSpec,
  type WorkloadSelector as DocWorkloadSelector,
} from "../documents/schema";

export type FindingSeverity = "error" | "warning" | "info";
export type FindingId =
  | "no-match"
  | "shadowed"
  | "broad-allow"
  | "constraint-conflict"
  | "tenant-no-default-deny"
  | "label-taxonomy"
  | "one-sided-allow"
  | "lowering"
  | "compile-disagreement"
  | "not-expressible"
  | "capability";

export interface Finding {
  id: FindingId;
  severity: FindingSeverity;
  /** "Kind/name" of the document, absent for tenant-level findings. */
  document?: string;
  /** Index in spec.rules (Policy documents). */
  ruleIndex?: number;
  /** Field path inside the document, e.g. spec.rules[2].peers[0]. */
  path: string;
  file?: string;
  line?: number;
  column?: number;
  message: string;
}

/** Allowed label keys, each with its allowed values (null: any value). A section left out is not checked. */
export interface LabelTaxonomy {
  podLabels?: Record<string, string[] | null>;
  namespaceLabels?: Record<string, string[] | null>;
}

export interface LintInput {
  documents: readonly LocatedDocument[];
  /** The inventory: the clusters the documents are rolled out to. */
  clusters?: readonly TargetCluster[];
  taxonomy?: LabelTaxonomy;
  /**
   * The platform default (true: on for every namespace, or the setting with its scope): one-sided
   * allows are judged with it, and the compile check renders and decides with it. Default: off.
   */
  secureByDefault?: boolean | PlatformDefault;
  /**
   * Compile for every cluster and both targets and compare with the platform's decisions (the core
   * of compile --verify). Off by default: it costs about a second per cluster on the demo inventory.
   */
  compileCheck?: boolean;
  /** The instant the compile check decides at (exception windows); default now. */
  time?: string | Date;
}

/** Examples of flows a compile-check finding names. */
const EXAMPLES = 3;

export const SEVERITY_ORDER: readonly FindingSeverity[] = ["error", "warning", "info"];

// ---------------------------------------------------------------------------
// Inventory view

interface PodView {
  namespace: string;
  nsLabels: Labels;
  labels: Labels;
  name?: string;
  ports?: readonly NamedPort[];
}

interface ClusterView {
  cluster: TargetCluster;
  pods: PodView[];
  /** The documents lowered for this cluster, evaluated (one-sided allows). */
  evaluator: Evaluator;
  lowered: LowerResult;
}

function viewOf(cluster: TargetCluster, docs: readonly LocatedDocument[], secureByDefault: boolean | PlatformDefault): ClusterView {
  const lowered = lowerDocuments(docs, cluster);
  // The evaluator materialises workload templates into pods; reuse it rather than repeating that.
  const evaluator = createEvaluator(cluster.model, lowered.policies, { secureByDefault });
  const pods = evaluator.podEntries
    .filter((e) => !e.pod.hostNetwork)
    .map((e) => ({
      namespace: e.pod.namespace,
      name: e.pod.name,
      nsLabels: e.identity.nsLabels,
      labels: e.pod.labels,
      ports: e.pod.ports,
    }));
  return { cluster, pods, evaluator, lowered };
}

// Selectors are tested against every pod: compile each once.
const compiledSelectors = new WeakMap<DocWorkloadSelector, ReturnType<typeof compileWorkloadSelector>>();

/** Whether a document workload selector selects the pod, with the evaluator's selector semantics. */
function selectsPod(ws: DocWorkloadSelector, pod: PodView, tenant?: string): boolean {
  if (tenant !== undefined && pod.nsLabels[TENANT_LABEL] !== tenant) return false;
  let matches = compiledSelectors.get(ws);
  if (!matches) compiledSelectors.set(ws, (matches = compileWorkloadSelector(workloadSelectorOf(ws))));
  return matches(pod.namespace, pod.nsLabels, pod.labels);
}

const isKubeDnsPod = (p: PodView) => isKubeDns(p.namespace, p.labels);

const KUBE_DNS_POD: PodView = { namespace: "kube-system", nsLabels: { [NS_NAME_LABEL]: "kube-system" }, labels: { "k8s-app": "kube-dns" } };

// ---------------------------------------------------------------------------
// Rule views over all document kinds

interface RuleView {
  doc: LocatedDocument;
  /** Index in spec.rules, or undefined for constraints/exceptions (one implicit rule). */
  index?: number;
  path: PathSeg[];
  direction: "ingress" | "egress";
  action: "allow" | "deny" | "pass";
  peers: readonly DocPeer[];
  ports?: readonly PortSpec[];
  via?: string;
}

function rulesOf(d: LocatedDocument): RuleView[] {
  const doc = d.document;
  if (doc.kind === "Policy")
    return doc.spec.rules.map((r, i) => ({
      doc: d,
      index: i,
      path: ["spec", "rules", i],
      direction: r.direction,
      action: r.action,
      peers: r.peers,
      ...(r.ports ? { ports: r.ports } : {}),
      ...(r.via ? { via: r.via } : {}),
    }));
  return [
    {
      doc: d,
      path: ["spec"],
      direction: doc.spec.direction,
      action: doc.kind === "Exception" ? "allow" : "deny",
      peers: doc.spec.peers,
      ...(doc.spec.ports ? { ports: doc.spec.ports } : {}),
    },
  ];
}

const tenantOf = (d: LocatedDocument) =>
  d.document.kind === "Policy" && d.document.spec.tier === "namespace" ? d.document.metadata.tenant : undefined;
const idOf = (d: LocatedDocument) => `${d.document.kind}/${d.document.metadata.name}`;

// ---------------------------------------------------------------------------
// Coverage (shadowing) and overlap (constraint conflicts)

function selectorCovers(a: LabelSelector, b: LabelSelector): boolean {
  // Sound, not complete: every requirement of `a` is also a requirement of `b`.
  return (
    Object.entries(a.matchLabels).every(([k, v]) => b.matchLabels[k] === v) &&
    a.matchExpressions.every((e) => b.matchExpressions.some((f) => JSON.stringify(f) === JSON.stringify(e)))
  );
}

function nsCovers(a: NamespaceMatch, b: NamespaceMatch): boolean {
  if (a.kind === "selector" && isEmptySelector(a.selector)) return true;
  if (a.kind === "names" && b.kind === "names") return b.names.every((n) => a.names.includes(n));
  if (a.kind === "selector" && b.kind === "selector") return selectorCovers(a.selector, b.selector);
  return false;
}

function cidrCovers(a: { cidr: string; except?: string[] }, b: { cidr: string; except?: string[] }): boolean {
  const ac = parseCidr(a.cidr);
  const bc = parseCidr(b.cidr);
  if (!ac || !bc || !cidrContainsCidr(ac, bc)) return false;
  return (a.except ?? []).every((e) => {
    const ec = parseCidr(e);
    return !ec || !(ec.base <= bc.last && bc.base <= ec.last) || (b.except ?? []).includes(e);
  });
}

function peerCovers(a: DocPeer, b: DocPeer): boolean {
  if ("workloads" in a && "workloads" in b) {
    const x = workloadSelectorOf(a.workloads);
    const y = workloadSelectorOf(b.workloads);
    return nsCovers(x.namespaces, y.namespaces) && selectorCovers(x.pods, y.pods);
  }
  if ("cidr" in a && "cidr" in b) return cidrCovers(a, b);
  if ("dns" in a && "dns" in b) return a.dns === b.dns || (a.dns.startsWith("*.") && dnsMatches(a.dns, b.dns.replace(/^\*\./, "x.")));
  if ("entity" in a) {
    if ("entity" in b) return a.entity === b.entity || (a.entity === "cluster" && b.entity === "kube-dns");
    if (a.entity === "world") return "dns" in b;
    if (a.entity === "cluster") return "workloads" in b || "service" in b;
  }
  if ("service" in a && "service" in b) return a.service === b.service;
  return false;
}

function portCovers(a: PortMatch, b: PortMatch): boolean {
  if (a.protocol !== b.protocol) return false;
  if (a.kind === "named" || b.kind === "named") return a.kind === "named" && b.kind === "named" && a.name === b.name;
  if (a.port === undefined) return true;
  if (b.port === undefined) return false;
  return a.port <= b.port && (a.endPort ?? a.port) >= (b.endPort ?? b.port);
}

function portsCover(a: readonly PortSpec[] | undefined, b: readonly PortSpec[] | undefined): boolean {
  if (!a) return true;
  if (!b) return false;
  return b.map(portMatchOf).every((y) => a.map(portMatchOf).some((x) => portCovers(x, y)));
}

function subjectCovers(a: DocWorkloadSelector, b: DocWorkloadSelector): boolean {
  const x = workloadSelectorOf(a);
  const y = workloadSelectorOf(b);
  return nsCovers(x.namespaces, y.namespaces) && selectorCovers(x.pods, y.pods);
}

/**
 * Could one address be in both blocks? The ranges must intersect, and the
 * intersection must not lie wholly inside an `except` of either side (a public
 * internet block that excepts 169.254.0.0/16 never reaches the metadata API).
 */
function cidrsOverlap(a: { cidr: string; except?: string[] }, b: { cidr: string; except?: string[] }): boolean {
  const x = parseCidr(a.cidr);
  const y = parseCidr(b.cidr);
  if (!x || !y || x.family !== y.family || x.base > y.last || y.base > x.last) return false;
  const base = x.base > y.base ? x.base : y.base;
  const last = x.last < y.last ? x.last : y.last;
  const excepts = [...(a.except ?? []), ...(b.except ?? [])].map(parseCidr);
  return !excepts.some((e) => e && e.family === x.family && e.base <= base && last <= e.last);
}

/** Could the two peers match one endpoint? Uses the inventory's pods for workload peers. */
function peersOverlap(a: DocPeer, b: DocPeer, pods: readonly PodView[]): boolean {
  const podsOf = (p: DocPeer): PodView[] | null => {
    if ("workloads" in p) return pods.filter((x) => selectsPod(p.workloads, x));
    if ("entity" in p && p.entity === "kube-dns") return [KUBE_DNS_POD, ...pods.filter(isKubeDnsPod)];
    if ("entity" in p && p.entity === "cluster") return [...pods, KUBE_DNS_POD];
    return null;
  };
  const isOutside = (p: DocPeer) => "dns" in p || "cidr" in p || ("entity" in p && p.entity === "world");
  if ("entity" in a && a.entity === "world") return isOutside(b);
  if ("entity" in b && b.entity === "world") return isOutside(a);
  if ("cidr" in a && "cidr" in b) return cidrsOverlap(a, b);
  if ("dns" in a && "dns" in b)
    return a.dns === b.dns || dnsMatches(a.dns, b.dns.replace(/^\*\./, "x.")) || dnsMatches(b.dns, a.dns.replace(/^\*\./, "x."));
  if ("service" in a || "service" in b)
    return (
      ("service" in a && "service" in b && a.service === b.service) ||
      ("entity" in a && a.entity === "cluster") ||
      ("entity" in b && b.entity === "cluster")
    );
  const pa = podsOf(a);
  const pb = podsOf(b);
  if (pa && pb) return pa.some((x) => pb.includes(x)) || (pa.includes(KUBE_DNS_POD) && pb.some(isKubeDnsPod));
  return false;
}

function portsOverlap(a: readonly PortSpec[] | undefined, b: readonly PortSpec[] | undefined): boolean {
  if (!a || !b) return true;
  return a.some((x) =>
    b.some((y) => {
      if (x.protocol !== y.protocol) return false;
      if (typeof x.port === "string" || typeof y.port === "string") return true; // a named port may be that number: assume it can
      return x.port <= (y.endPort ?? y.port) && y.port <= (x.endPort ?? x.port);
    }),
  );
}

// ---------------------------------------------------------------------------

export function lint(input: LintInput): Finding[] {
  const findings: Finding[] = [];
  const docs = input.documents;
  const views = (input.clusters ?? []).map((c) => viewOf(c, docs, input.secureByDefault ?? false));
  const finding = (
    d: LocatedDocument | undefined,
    id: FindingId,
    severity: FindingSeverity,
    path: PathSeg[],
    message: string,
    ruleIndex?: number,
  ): void => {
    const p = d?.locate?.(path);
    findings.push({
      id,
      severity,
      ...(d ? { document: idOf(d) } : {}),
      ...(ruleIndex !== undefined ? { ruleIndex } : {}),
      path: formatPath(path),
      ...(d?.file ? { file: d.file } : {}),
      ...(p && p.line > 0 ? { line: p.line, column: p.column } : {}),
      message,
    });
  };
  const inScope = (d: LocatedDocument) => views.filter((v) => appliesTo(d.document.spec.scope, v.cluster));

  // lowering: what each cluster's lowering reported (unknown services, gateways, foreign namespaces, ...).
  const seenLowering = new Set<string>();
  for (const v of views) {
    for (const w of v.lowered.warnings) {
      const key = `${w.file}:${w.line}:${w.column}:${w.detail}`;
      if (seenLowering.has(key)) continue;
      seenLowering.add(key);
      findings.push({
        id: "lowering",
        severity: "warning",
        path: w.path,
        ...(w.file && w.file !== "<memory>" ? { file: w.file } : {}),
        ...(w.line > 0 ? { line: w.line, column: w.column } : {}),
        message: w.detail,
      });
    }
  }

  // no-match
  if (views.length > 0) {
    for (const d of docs) {
      const clusters = inScope(d);
      if (clusters.length === 0) {
        finding(
          d,
          "no-match",
          "warning",
          ["spec", "scope"],
          `${idOf(d)} applies to none of the inventory's clusters (${views.map((v) => v.cluster.name).join(", ")}); check spec.scope`,
        );
        continue;
      }
      const pods = clusters.flatMap((v) => v.pods);
      const tenant = tenantOf(d);
      if (!pods.some((p) => selectsPod(d.document.spec.subject, p, tenant))) {
        finding(
          d,
          "no-match",
          "warning",
          ["spec", "subject"],
          `the subject selects no workload in ${clusters.map((v) => v.cluster.name).join(", ")}${tenant ? ` (within tenant ${tenant}'s namespaces)` : ""}; fix the selector or remove the policy`,
        );
      }
      for (const r of rulesOf(d)) {
        r.peers.forEach((peer, i) => {
          const sel = "workloads" in peer ? peer.workloads : null;
          if (sel && !pods.some((p) => selectsPod(sel, p)))
            finding(
              d,
              "no-match",
              "warning",
              [...r.path, "peers", i],
              `this ${r.direction === "ingress" ? "source" : "destination"} selects no workload in ${clusters.map((v) => v.cluster.name).join(", ")}; the rule does nothing for it`,
              r.index,
            );
          if ("entity" in peer && peer.entity === "kube-dns" && !pods.some(isKubeDnsPod)) {
            finding(
              d,
              "no-match",
              "warning",
              [...r.path, "peers", i],
              "no pod in kube-system is labelled k8s-app=kube-dns in the inventory; entity kube-dns matches nothing",
              r.index,
            );
          }
        });
      }
    }
  }

  // capability: what a rule needs from each cluster in its scope (only clusters whose capabilities are known).
  for (const d of docs) {
    if (d.document.kind !== "Policy") continue;
    const tier = d.document.spec.tier;
    const known = inScope(d).filter((v) => v.cluster.capabilities);
    const lacking = (needs: (c: NonNullable<TargetCluster["capabilities"]>) => string | null) =>
      known.flatMap((v) => {
        const why = needs(v.cluster.capabilities!);
        return why ? [`${v.cluster.name} (${why})`] : [];
      });
    if (ADMIN_TIERS.includes(tier)) {
      const without = lacking((c) => (c.adminPolicyApi === "none" ? "no AdminNetworkPolicy or ClusterNetworkPolicy CRDs" : null));
      if (without.length > 0)
        finding(
          d,
          "capability",
          "warning",
          ["spec", "tier"],
          `the ${tier} tier renders as admin network policies, which ${without.join(", ")} cannot enforce; install the CRDs there or narrow spec.scope`,
        );
    }
    for (const r of rulesOf(d)) {
      if (r.direction === "egress")
        r.peers.forEach((peer, i) => {
          if (!("dns" in peer)) return;
          const without = lacking((c) => (c.cni !== null && c.cni !== "cilium" ? `CNI ${c.cni}` : null));
          if (without.length > 0)
            finding(
              d,
              "capability",
              "warning",
              [...r.path, "peers", i],
              `egress to the DNS name ${peer.dns} needs Cilium (toFQDNs), which ${without.join(", ")} lacks; the cluster cannot enforce this rule`,
              r.index,
            );
        });
      if (r.via) {
        const without = lacking((c) => (c.istio ? null : "no Istio"));
        if (without.length > 0)
          finding(
            d,
            "capability",
            "warning",
            [...r.path, "via"],
            `routing through the egress gateway ${r.via} needs Istio, which ${without.join(", ")} lacks; the traffic would not be routed through the gateway`,
            r.index,
          );
      }
    }
  }

  // shadowed: the admin tiers, then the baseline, each in the evaluator's decision order.
  const ordered = (tiers: readonly string[]) =>
    docs
      .filter((d): d is LocatedDocument<PolicyDocument> => d.document.kind === "Policy" && tiers.includes(d.document.spec.tier))
      .map((d) => ({ d, order: decisionOrderOf(d.document) }))
      .sort((a, b) => compareDecisionOrder(a.order, b.order))
      .map(({ d }) => d);
  for (const group of [ordered(ADMIN_TIERS), ordered(["baseline"])]) {
    const rules = group.flatMap((d) => rulesOf(d).map((r) => ({ r, d: d as LocatedDocument<PolicyDocument> })));
    rules.forEach(({ r, d }, k) => {
      for (const { r: e, d: ed } of rules.slice(0, k)) {
        if (e.direction !== r.direction) continue;
        const scopesOk = !ed.document.spec.scope || JSON.stringify(ed.document.spec.scope) === JSON.stringify(d.document.spec.scope);
        if (!scopesOk || !subjectCovers(ed.document.spec.subject, d.document.spec.subject)) continue;
        if (!r.peers.every((p) => e.peers.some((q) => peerCovers(q, p))) || !portsCover(e.ports, r.ports)) continue;
        const earlier = `${idOf(ed)} rule ${e.index}${ed.document.spec.rules[e.index!]!.name ? ` "${ed.document.spec.rules[e.index!]!.name}"` : ""}`;
        if (e.action === r.action)
          finding(
            d,
            "shadowed",
            "info",
            r.path,
            `redundant: ${earlier} is evaluated first and already ${e.action}s everything this rule matches; remove one of them`,
            r.index,
          );
        else
          finding(
            d,
            "shadowed",
            "warning",
            r.path,
            `never decides: ${earlier} is evaluated first, matches everything this rule matches and ${e.action === "pass" ? "passes it on" : `${e.action}s it`}; reorder (priority) or narrow the earlier rule`,
            r.index,
          );
        break;
      }
    });
  }

  // broad-allow
  for (const d of docs) {
    for (const r of rulesOf(d)) {
      if (r.action !== "allow") continue;
      r.peers.forEach((p, i) => {
        const path = [...r.path, "peers", i];
        const anyPort = !r.ports;
        if ((("entity" in p && p.entity === "world") || ("cidr" in p && /\/0$/.test(p.cidr) && !(p.except ?? []).length)) && anyPort) {
          finding(
            d,
            "broad-allow",
            "warning",
            path,
            `allows ${r.direction === "egress" ? "egress to" : "ingress from"} the whole internet on every port; list the ports (and prefer DNS names or CIDRs of the real destinations)`,
            r.index,
          );
        }
        if ("workloads" in p) {
          const sel = workloadSelectorOf(p.workloads);
          if (sel.namespaces.kind === "selector" && isEmptySelector(sel.namespaces.selector) && isEmptySelector(sel.pods)) {
            if (anyPort)
              finding(
                d,
                "broad-allow",
                "warning",
                path,
                `allows every pod of every namespace on every port; name the namespaces or tenants (and ports) that need this`,
                r.index,
              );
            else
              finding(
                d,
                "broad-allow",
                "info",
                path,
                `allows every pod of every namespace (on ${r.ports!.map((x) => String(x.port)).join(", ")}); fine for platform-wide functions such as scraping, otherwise name the namespaces`,
                r.index,
              );
          }
        }
      });
    }
  }

  // constraint-conflict
  const constraints = docs.filter((d) => d.document.kind === "ComplianceConstraint");
  for (const c of constraints) {
    if (c.document.kind !== "ComplianceConstraint") continue;
    const cs = c.document.spec;
    for (const d of docs) {
      if (d === c) continue;
      for (const r of rulesOf(d)) {
        if (r.action !== "allow" || r.direction !== cs.direction) continue;
        if (r.via && cs.exceptVia === r.via) continue; // exempt: routed through the constraint's gateway
        const shared =
          views.length > 0 ? views.filter((v) => appliesTo(cs.scope, v.cluster) && appliesTo(d.document.spec.scope, v.cluster)) : [];
        if (views.length > 0 && shared.length === 0) continue;
        const pods = shared.flatMap((v) => v.pods);
        const tenant = tenantOf(d);
        // Without an inventory, subjects are assumed to overlap.
        const subjectsMeet =
          views.length === 0 || pods.some((p) => selectsPod(cs.subject, p) && selectsPod(d.document.spec.subject, p, tenant));
        if (!subjectsMeet || !portsOverlap(cs.ports, r.ports)) continue;
        const hit = r.peers.findIndex((p) => cs.peers.some((q) => peersOverlap(q, p, pods)));
        if (hit < 0) continue;
        const why = r.via ? ` (it routes through gateway ${r.via}, but the constraint only exempts ${cs.exceptVia ?? "no gateway"})` : "";
        finding(
          d,
          "constraint-conflict",
          "error",
          [...r.path, "peers", hit],
          `${idOf(c)} denies this: ${c.document.metadata.description ?? cs.rationale}${why}. The ${d.document.kind === "Exception" ? "exception" : "allow"} can never take effect; narrow it${cs.exceptVia ? ` or route it via ${cs.exceptVia}` : ""}`,
          r.index,
        );
      }
    }
  }

  // tenant-no-default-deny
  const tenantNamespaces = new Map<string, Set<string>>();
  for (const v of views)
    for (const n of v.cluster.model.namespaces) {
      const t = n.labels[TENANT_LABEL];
      if (t) tenantNamespaces.set(t, new Set([...(tenantNamespaces.get(t) ?? []), n.name]));
    }
  for (const d of docs) {
    const t = d.document.metadata.tenant;
    if (t && !tenantNamespaces.has(t)) tenantNamespaces.set(t, new Set());
  }
  for (const [tenant, namespaces] of [...tenantNamespaces].sort(([a], [b]) => a.localeCompare(b))) {
    const probe = namespaces.size > 0 ? [...namespaces].sort() : [`<a namespace of ${tenant}>`];
    for (const ns of probe) {
      const nsPod: PodView = {
        namespace: ns,
        nsLabels: {
          [NS_NAME_LABEL]: ns,
          [TENANT_LABEL]: tenant,
          ...(views.flatMap((v) => v.cluster.model.namespaces).find((n) => n.name === ns)?.labels ?? {}),
        },
        labels: {},
      };
      const missing = (["ingress", "egress"] as const).filter((dir) => !docs.some((d) => isolates(d, dir, nsPod, tenant)));
      if (missing.length > 0)
        finding(
          undefined,
          "tenant-no-default-deny",
          "warning",
          [],
          `tenant ${tenant}: namespace ${ns} has no default deny for ${missing.join(" and ")}; add the namespace-default-deny template or a baseline deny covering it`,
        );
    }
  }

  // label-taxonomy
  if (input.taxonomy) {
    const tax = input.taxonomy;
    const check = (
      d: LocatedDocument,
      sel: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; values?: string[] }[] } | undefined,
      allowed: Record<string, string[] | null> | undefined,
      path: PathSeg[],
      what: string,
      ruleIndex?: number,
    ) => {
      if (!sel || !allowed) return;
      const uses: { key: string; values: string[]; at: PathSeg[] }[] = [
        ...Object.entries(sel.matchLabels ?? {}).map(([k, v]) => ({ key: k, values: [v], at: [...path, "matchLabels", k] })),
        ...(sel.matchExpressions ?? []).map((e, i) => ({ key: e.key, values: e.values ?? [], at: [...path, "matchExpressions", i] })),
      ];
      for (const u of uses) {
        if (u.key === NS_NAME_LABEL) continue;
        if (!(u.key in allowed))
          finding(
            d,
            "label-taxonomy",
            "warning",
            u.at,
            `${what} label key "${u.key}" is not in the label taxonomy (allowed: ${Object.keys(allowed).join(", ")}); use a taxonomy label or ask an admin to add it`,
            ruleIndex,
          );
        else {
          const vals = allowed[u.key];
          const bad = vals ? u.values.filter((v) => !vals.includes(v)) : [];
          if (bad.length > 0)
            finding(
              d,
              "label-taxonomy",
              "warning",
              u.at,
              `${what} label ${u.key} has value(s) ${bad.join(", ")} outside the taxonomy (allowed: ${vals!.join(", ")})`,
              ruleIndex,
            );
        }
      }
    };
    const checkWs = (d: LocatedDocument, ws: DocWorkloadSelector, path: PathSeg[], ruleIndex?: number) => {
      check(d, ws.podSelector, tax.podLabels, [...path, "podSelector"], "pod", ruleIndex);
      check(d, ws.namespaceSelector, tax.namespaceLabels, [...path, "namespaceSelector"], "namespace", ruleIndex);
    };
    for (const d of docs) {
      checkWs(d, d.document.spec.subject, ["spec", "subject"]);
      for (const r of rulesOf(d))
        r.peers.forEach((p, i) => "workloads" in p && checkWs(d, p.workloads, [...r.path, "peers", i, "workloads"], r.index));
    }
  }

  // one-sided-allow: evaluate one example flow per namespace-tier rule peer and cluster.
  for (const d of docs) {
    const tenant = tenantOf(d);
    if (!tenant) continue;
    for (const r of rulesOf(d)) {
      if (r.via) continue; // the gateway leg is not a pod-to-pod flow
      r.peers.forEach((peer, i) => {
        if (!("workloads" in peer)) return;
        // Only when no cluster lets anything through (a workload missing from one cluster is not a mistake).
        let example: string | null = null;
        for (const v of inScope(d)) {
          const subject = v.pods.filter((p) => selectsPod(d.document.spec.subject, p, tenant));
          const others = v.pods.filter((p) => selectsPod(peer.workloads, p));
          const r1 = oneSidedExample(v, r, r.direction === "ingress" ? others : subject, r.direction === "ingress" ? subject : others);
          if (r1 === null) continue;
          if (r1 === PASSES) return;
          example ??= r1;
        }
        if (!example) return;
        const other = r.direction === "ingress" ? "sources may not send" : "destinations do not accept";
        finding(
          d,
          "one-sided-allow",
          "warning",
          [...r.path, "peers", i],
          `this ${r.direction} allow lets nothing through: its ${other} any of the flows it allows (e.g. ${example}); add the matching ${r.direction === "ingress" ? "egress" : "ingress"} rule on the other side`,
          r.index,
        );
      });
    }
  }

  // compile-disagreement / not-expressible: what each cluster would enforce against what the platform decides.
  if (input.compileCheck) {
    const platformDefault: PlatformDefault =
      input.secureByDefault === true
        ? { enabled: true, excludeNamespaces: [] }
        : input.secureByDefault
          ? input.secureByDefault
          : { enabled: false, excludeNamespaces: [] };
    const time = input.time ?? new Date();
    const byId = new Map(docs.map((d) => [idOf(d), d]));
    const examples = (list: readonly VerifyFinding[]) =>
      `${list.slice(0, EXAMPLES).map(formatVerifyFinding).join("; ")}${list.length > EXAMPLES ? `; and ${list.length - EXAMPLES} more` : ""}`;
    for (const v of views) {
      for (const target of COMPILE_TARGETS) {
        const compiled = compileLowered(v.lowered, v.cluster, { target, now: time, platformDefault });
        if (compiled.errors.length > 0) continue; // the compile's own errors are reported where it runs
        const verified = verifyCompiled(compiled, { target, platformDefault, time, listNotExpressible: false });
        const byDoc = new Map<string, VerifyFinding[]>();
        for (const f of verified.disagreements) {
          const k = f.decidedBy.find((id) => byId.has(id)) ?? "";
          byDoc.set(k, [...(byDoc.get(k) ?? []), f]);
        }
        for (const [id, list] of byDoc) {
          finding(
            byId.get(id),
            "compile-disagreement",
            "error",
            id ? ["spec"] : [],
            `the objects compiled for cluster ${v.cluster.name} (target ${target}) would decide ${list.length} flow(s) unlike the platform, so the cluster would not enforce what the console shows: ${examples(list)}`,
          );
        }
        if (verified.notExpressible.length > 0) {
          finding(
            undefined,
            "not-expressible",
            "info",
            [],
            `${verified.notExpressible.length} flow(s) in cluster ${v.cluster.name} cannot be expressed exactly by target ${target}: ${examples(verified.notExpressible)}`,
          );
        }
      }
    }
  }

  return findings.sort(
    (a, b) =>
      SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity) ||
      (a.document ?? "").localeCompare(b.document ?? "") ||
      (a.ruleIndex ?? -1) - (b.ruleIndex ?? -1) ||
      a.path.localeCompare(b.path),
  );
}

/**
 * When the rule's own side allows some flows (src → dst on the rule's ports)
 * but the other side denies every one of them, an example of those flows as
 * "src → dst port/proto: reason"; PASSES when some flow gets through; null when the rule allows no flow here.
 */
const PASSES = "\u0000passes";
function oneSidedExample(v: ClusterView, r: RuleView, srcs: readonly PodView[], dsts: readonly PodView[]): string | null {
  const own = r.direction;
  const other = own === "ingress" ? "egress" : "ingress";
  let example: string | null = null;
  for (const dst of dsts) {
    const ports: { port: number; protocol: "TCP" | "UDP" | "SCTP" }[] = r.ports
      ? r.ports.flatMap((p) =>
          typeof p.port === "number"
            ? [{ port: p.port, protocol: p.protocol }]
            : (dst.ports ?? [])
                .filter((c) => c.name === p.port && c.protocol === p.protocol)
                .map((c) => ({ port: c.port, protocol: c.protocol })),
        )
      : (dst.ports ?? []).map((c) => ({ port: c.port, protocol: c.protocol }));
    for (const src of srcs) {
      if (src === dst) continue;
      for (const { port, protocol } of ports) {
        const d = v.evaluator.decide({
          src: { kind: "pod", namespace: src.namespace, name: src.name! },
          dst: { kind: "pod", namespace: dst.namespace, name: dst.name! },
          port,
          protocol,
        });
        if (!d.ok || d.value.flow || d.value[own].verdict !== "allow") continue;
        if (d.value.verdict === "allow") return PASSES;
        example ??= `${src.namespace}/${src.name} → ${dst.namespace}/${dst.name} ${formatPortProtocol(port, protocol)} in ${v.cluster.name}: ${d.value[other].effects.at(-1)?.reason ?? "denied"}`;
      }
    }
  }
  return example;
}

/** Does document `d` put every pod of namespace `ns` into default deny for `dir`? */
function isolates(d: LocatedDocument, dir: "ingress" | "egress", ns: PodView, tenant: string): boolean {
  const doc = d.document;
  if (doc.kind !== "Policy") return false;
  const allPods = !doc.spec.subject.podSelector || isEmptySelector(workloadSelectorOf(doc.spec.subject).pods);
  if (!allPods || !selectsPod(doc.spec.subject, ns)) return false;
  if (doc.spec.tier === "namespace") {
    if (doc.metadata.tenant !== tenant) return false;
    const isolate = doc.spec.isolate ?? doc.spec.rules.map((r) => r.direction);
    return isolate.includes(dir);
  }
  // An admin or baseline deny of every pod of every namespace in that direction.
  return doc.spec.rules.some(
    (r) =>
      r.direction === dir &&
      r.action === "deny" &&
      !r.ports &&
      r.peers.some(
        (p) =>
          ("workloads" in p &&
            isEmptySelector(workloadSelectorOf(p.workloads).pods) &&
            workloadSelectorOf(p.workloads).namespaces.kind === "selector" &&
            isEmptySelector((workloadSelectorOf(p.workloads).namespaces as { selector: LabelSelector }).selector)) ||
          ("entity" in p && p.entity === "cluster"),
      ),
  );
}

/** One line per finding: `file:line:col: severity id: Kind/name spec.rules[1]: message`. */
export function formatFinding(f: Finding): string {
  const loc = f.file ? `${f.file}${f.line ? `:${f.line}:${f.column}` : ""}: ` : "";
  const what = [f.document, f.path].filter(Boolean).join(" ");
  return `${loc}${f.severity} ${f.id}: ${what ? `${what}: ` : ""}${f.message}`;
}
