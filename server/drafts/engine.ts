// What the policy screens ask of the engine, over the inventory: which
// workloads a subject selects, what a document compiles to, and its findings.
// The deciding is the engine's (server/policy); this file only feeds it.
// Pure (no database): it runs in the engine worker too (server/engine-pool).
import { contentHash } from "@/server/lib/canonical";
import { compileDocuments, type CompileTarget, type K8sObject } from "@/server/policy/compile/compile";
import { verifyCompiled, type VerifyFinding } from "@/server/policy/compile/verify";
import type { PlatformDefault } from "@/server/policy/model";
import { namespacesCovered, tenantNamespaces, type TargetCluster } from "@/server/policy/documents/lower";
import type { LocatedDocument } from "@/server/policy/documents/read";
import { policyplaneDocument, type PolicyplaneDocument, type WorkloadSelector } from "@/server/policy/documents/schema";
import type { PolicyInputError } from "@/server/policy/errors";
import { matchesSelector } from "@/server/policy/eval/selectors";
import { toSelector } from "@/server/policy/read/manifests";
import type { StoredDocument } from "./documents";

export interface MatchedWorkload {
  cluster: string;
  namespace: string;
  name: string;
  kind: string;
  labels: Record<string, string>;
}

/** Workloads of `cluster` a subject selects (a namespace-tier policy only within its tenant). */
export function matchedWorkloads(cluster: TargetCluster, subject: WorkloadSelector, tenantOnly?: string): MatchedWorkload[] {
  const namespaces = new Set(namespacesCovered(cluster.model, subject));
  if (tenantOnly !== undefined) {
    const own = new Set(tenantNamespaces(cluster.model, tenantOnly));
    for (const n of [...namespaces]) if (!own.has(n)) namespaces.delete(n);
  }
  const pods = toSelector(subject.podSelector);
  return cluster.model.workloads
    .filter((w) => namespaces.has(w.namespace) && matchesSelector(pods, w.labels))
    .map((w) => ({ cluster: cluster.name, namespace: w.namespace, name: w.name, kind: w.kind, labels: { ...w.labels } }));
}

export function subjectMatches(targets: readonly TargetCluster[], doc: PolicyplaneDocument): MatchedWorkload[] {
  const tenantOnly = doc.kind === "Policy" && doc.spec.tier === "namespace" ? doc.metadata.tenant : undefined;
  return targets.flatMap((t) => matchedWorkloads(t, doc.spec.subject, tenantOnly));
}

export const OUTPUT_GROUPS = ["NetworkPolicy", "AdminNetworkPolicy", "Cilium", "Istio egress"] as const;
export type OutputGroup = (typeof OUTPUT_GROUPS)[number];

function groupOf(kind: string): OutputGroup | null {
  if (kind === "NetworkPolicy") return "NetworkPolicy";
  if (kind === "AdminNetworkPolicy" || kind === "BaselineAdminNetworkPolicy" || kind === "ClusterNetworkPolicy")
    return "AdminNetworkPolicy";
  if (kind.startsWith("Cilium")) return "Cilium";
  if (["ServiceEntry", "Gateway", "DestinationRule", "VirtualService"].includes(kind)) return "Istio egress";
  return null;
}

export interface CompiledOutput {
  cluster: string;
  target: CompileTarget;
  groups: { group: OutputGroup; objects: K8sObject[] }[];
  warnings: PolicyInputError[];
  errors: PolicyInputError[];
  /** Flows the compiled objects (this cluster, this target) would decide unlike the platform (compile --verify). */
  disagreements: VerifyFinding[];
}

function sourcesOf(o: K8sObject): string[] {
  return (o.metadata.annotations["policyplane.io/source"] ?? "").split(",");
}

/**
 * Compiles the whole set in force (so admin priorities and the baseline are
 * ranked as they will be) and keeps what comes from `doc`.
 */
export function compileFor(
  set: readonly LocatedDocument[],
  doc: PolicyplaneDocument,
  cluster: TargetCluster,
  target: CompileTarget,
  platformDefault: PlatformDefault,
): CompiledOutput {
  const id = `${doc.kind}/${doc.metadata.name}`;
  const now = new Date();
  const result = compileDocuments(set, cluster, { target, now, platformDefault });
  const compiled = result.objects.filter((o) => sourcesOf(o.object).includes(id));
  const mine = compiled.map((o) => o.object);
  const paths = new Set(compiled.map((o) => o.path));
  const concerns = (e: PolicyInputError) => e.file === id;
  // A name clash is reported at the output file and names its source documents: this one may be the dropped one.
  // (Kinds and DNS-1123 names hold no regular-expression syntax.)
  const namesThis = new RegExp(`(^|[\\s,])${id}([\\s,;]|$)`);
  return {
    cluster: cluster.name,
    target,
    groups: OUTPUT_GROUPS.map((group) => ({ group, objects: mine.filter((o) => groupOf(o.kind) === group) })),
    warnings: result.warnings.filter(concerns),
    errors: result.errors.filter((e) => paths.has(e.file) || namesThis.test(e.detail)),
    disagreements:
      result.errors.length > 0
        ? []
        : verifyCompiled(result, { target, platformDefault, time: now, listNotExpressible: false }).disagreements,
  };
}

/** The content hash of a stored document as the reader reads it (a stored version may omit defaults such as protocol TCP). */
export function readContentHash(stored: unknown): string | null {
  const read = policyplaneDocument.safeParse(stored);
  return read.success ? contentHash(read.data) : null;
}

/** A stored document as the engine takes it, named "Kind/name" (what findings and compiled sources refer to). */
export const asLocated = (d: StoredDocument): LocatedDocument => ({
  document: d.document,
  version: String(d.version),
  file: `${d.document.kind}/${d.name}`,
});

/** The set in force with `doc` in place of (or added to) its stored version. */
export function setWith(
  released: readonly StoredDocument[],
  doc: PolicyplaneDocument,
  located?: Partial<LocatedDocument>,
): LocatedDocument[] {
  const others = released.filter((d) => !(d.document.kind === doc.kind && d.name === doc.metadata.name));
  return [...others.map(asLocated), { ...located, document: doc, file: `${doc.kind}/${doc.metadata.name}` }];
}
