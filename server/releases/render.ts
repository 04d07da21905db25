// What a release means for each cluster, decided by the engine's compiler:
// the objects rendered for the cluster (counted and hashed: what the cluster
// must apply), and the compile check (issue 10: the rendered objects, read
// back with plain Kubernetes semantics, must decide every flow as the
// platform's decision order does). Pure (no database): it runs in the engine
// worker (server/engine-pool); the services load the inputs.
import { sha256Hex } from "@/server/lib/canonical";
import { compileDocuments, toYaml, type CompileResult, type CompileTarget } from "@/server/policy/compile/compile";
import { formatVerifyFinding, verifyCompiled, type VerifyFinding } from "@/server/policy/compile/verify";
import { renderStaged, stagedYaml, type StagedCni, type StagedRender } from "@/server/policy/compile/calico-staged";
import type { TargetCluster } from "@/server/policy/documents/lower";
import type { PlatformDefault } from "@/server/policy/model";
import { asLocated } from "@/server/drafts/engine";
import type { StoredDocument } from "@/server/drafts/documents";

/** A cluster as a release renders it: the engine's model and the compile target the cluster runs. */
export interface ReleaseTarget extends TargetCluster {
  target: CompileTarget;
  /** The cluster's CNI (null: not known): whether staged versions have an audit-only object there. */
  cni?: StagedCni;
}

export interface ReleaseRenderInput {
  documents: readonly StoredDocument[];
  clusters: readonly ReleaseTarget[];
  platformDefault: PlatformDefault;
  /** The release number written to every object (policyplane.io/release). */
  release: string;
  /** The instant exceptions are judged at (ISO). */
  time: string;
  /** The release's staged versions (issue 13 §11): rendered audit-only where the cluster's CNI can, never enforced. */
  staged?: readonly StoredDocument[];
}

export interface ClusterRender {
  cluster: string;
  target: CompileTarget;
  objects: number;
  /** sha256 over the rendered YAML: equal when the cluster must apply the same objects. */
  hash: string;
  /** The compile's own errors (name clashes, invalid objects): such a render cannot be applied. */
  errors: string[];
  /** The staged versions' audit-only objects (counted in `objects` and hashed with them), and why some are not rendered. */
  staged: { objects: number; notes: string[] };
}

export interface ClusterCheck {
  cluster: string;
  target: CompileTarget;
  flows: number;
  /** The first CHECK_LISTED disagreements (what the refusal can name; the worker sends no more). */
  disagreements: VerifyFinding[];
  /** Every flow decided unlike the platform. */
  disagreementCount: number;
  errors: string[];
}

/** Disagreements listed per cluster: the refusal names a few, so a broken compile of a large cluster stays small. */
export const CHECK_LISTED = 20;

/** Compiles one cluster's objects; `compiled` is the engine's full result for callers that check it too. */
function compileFor(input: ReleaseRenderInput, cluster: ReleaseTarget): CompileResult {
  return compileDocuments(input.documents.map(asLocated), cluster, {
    target: cluster.target,
    release: input.release,
    now: input.time,
    platformDefault: input.platformDefault,
  });
}

/** The staged versions' audit-only objects for one cluster (Calico's staged policies; none elsewhere, with a note). */
export function renderStagedFor(input: ReleaseRenderInput, cluster: ReleaseTarget): StagedRender {
  return renderStaged((input.staged ?? []).map(asLocated), cluster, { cni: cluster.cni ?? null, release: input.release });
}

const summary = (cluster: ReleaseTarget, compiled: CompileResult, staged: StagedRender): ClusterRender => ({
  cluster: cluster.name,
  target: cluster.target,
  objects: compiled.objects.length + staged.objects.length,
  // Without staged objects the hash is the enforced objects' alone, as it always was.
  hash: sha256Hex(staged.objects.length > 0 ? `${toYaml(compiled.objects)}---\n${stagedYaml(staged.objects)}` : toYaml(compiled.objects)),
  errors: compiled.errors.map((e) => e.message),
  staged: { objects: staged.objects.length, notes: staged.notes },
});

/** Renders the release for each given cluster (a wave's clusters). */
export function renderRelease(input: ReleaseRenderInput): ClusterRender[] {
  return input.clusters.map((c) => summary(c, compileFor(input, c), renderStagedFor(input, c)));
}

/** The audit-only objects of the release's staged versions for each given cluster, as YAML (the release page shows them). */
export function renderStagedYaml(
  input: ReleaseRenderInput,
): { cluster: string; cni: StagedCni; yaml: string; objects: number; notes: string[] }[] {
  return input.clusters.map((c) => {
    const r = renderStagedFor(input, c);
    return { cluster: c.name, cni: c.cni ?? null, yaml: stagedYaml(r.objects), objects: r.objects.length, notes: r.notes };
  });
}

/** The compile check of every cluster: the compile's errors and the flows its objects decide unlike the platform. */
export function checkReleaseCompile(input: ReleaseRenderInput, compile = compileFor): ClusterCheck[] {
  return input.clusters.map((c) => {
    const compiled = compile(input, c);
    if (compiled.errors.length > 0)
      return {
        cluster: c.name,
        target: c.target,
        flows: 0,
        disagreements: [],
        disagreementCount: 0,
        errors: compiled.errors.map((e) => e.message),
      };
    const verified = verifyCompiled(compiled, {
      target: c.target,
      platformDefault: input.platformDefault,
      time: input.time,
      listNotExpressible: false,
      maxFindings: CHECK_LISTED,
    });
    return {
      cluster: c.name,
      target: c.target,
      flows: verified.flows,
      disagreements: verified.disagreements,
      disagreementCount: verified.disagreementCount,
      errors: [],
    };
  });
}

const SHOWN = 3;

/** Why the checked release must not ship (null: every cluster agrees): names each cluster and its first flows. */
export function compileCheckRefusal(checks: readonly ClusterCheck[]): string | null {
  const bad = checks.filter((c) => c.errors.length > 0 || c.disagreementCount > 0);
  if (bad.length === 0) return null;
  return bad
    .map((c) => {
      if (c.errors.length > 0) return `cluster ${c.cluster} (${c.target}): the compile fails: ${c.errors.slice(0, SHOWN).join("; ")}`;
      const shown = c.disagreements.slice(0, SHOWN).map((f) => {
        const by = f.decidedBy.length ? ` (decided by ${f.decidedBy.join(", ")})` : "";
        return `${formatVerifyFinding(f)}${by}`;
      });
      const more = c.disagreementCount > shown.length ? `; and ${c.disagreementCount - shown.length} more` : "";
      return `cluster ${c.cluster} (${c.target}): the compiled objects decide ${c.disagreementCount} flow(s) unlike the platform: ${shown.join("; ")}${more}`;
    })
    .join(". ");
}
