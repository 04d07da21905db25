// What a change does to the Kubernetes objects each cluster receives (pure):
// the whole set is compiled twice per cluster, as released and with the change
// in place (admin priorities and the baseline are ranked over the whole set,
// so one policy's change can move another's objects), and the objects that
// differ are listed with both renderings.
import { compileDocuments, toYaml, type CompileTarget, type CompiledObject } from "@/server/policy/compile/compile";
import type { TargetCluster } from "@/server/policy/documents/lower";
import type { LocatedDocument } from "@/server/policy/documents/read";
import type { PlatformDefault } from "@/server/policy/model";

export interface CompiledObjectChange {
  /** Output path: `<cluster>/<namespace or _cluster>/<kind>-<name>.yaml` */
  path: string;
  kind: string;
  name: string;
  namespace?: string;
  change: "added" | "removed" | "changed";
  /** The object's YAML as released ("" when added) and with the change ("" when removed). */
  before: string;
  after: string;
}

export interface ClusterCompiledDiff {
  cluster: string;
  target: CompileTarget;
  changes: CompiledObjectChange[];
  /** Objects the cluster receives with the change in place. */
  objects: number;
  /** What makes the changed output unfit to apply (name clashes, schema failures). */
  errors: string[];
}

const yamlOf = (o: CompiledObject | undefined) => (o ? toYaml([o]) : "");

export function compiledDiff(input: {
  release: readonly LocatedDocument[];
  proposal: readonly LocatedDocument[];
  cluster: TargetCluster;
  target: CompileTarget;
  platformDefault: PlatformDefault;
  /** The platform default with the change in place, when the change is to it (default: `platformDefault`). */
  proposalPlatformDefault?: PlatformDefault;
  now: Date;
}): ClusterCompiledDiff {
  const options = { target: input.target, now: input.now, platformDefault: input.platformDefault };
  const before = compileDocuments(input.release, input.cluster, options);
  const after = compileDocuments(input.proposal, input.cluster, {
    ...options,
    platformDefault: input.proposalPlatformDefault ?? input.platformDefault,
  });
  const was = new Map(before.objects.map((o) => [o.path, o]));
  const is = new Map(after.objects.map((o) => [o.path, o]));
  const changes: CompiledObjectChange[] = [];
  for (const path of [...new Set([...was.keys(), ...is.keys()])].sort()) {
    const b = was.get(path);
    const a = is.get(path);
    const beforeYaml = yamlOf(b);
    const afterYaml = yamlOf(a);
    if (beforeYaml === afterYaml) continue;
    const object = (a ?? b)!.object;
    changes.push({
      path,
      kind: object.kind,
      name: object.metadata.name,
      ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}),
      change: !b ? "added" : !a ? "removed" : "changed",
      before: beforeYaml,
      after: afterYaml,
    });
  }
  return {
    cluster: input.cluster.name,
    target: input.target,
    changes,
    objects: after.objects.length,
    errors: after.errors.map((e) => `${e.file}: ${e.detail}`),
  };
}
