// Live analysis of the editor's YAML (nothing is written): the reader's
// errors with line and column, the engine's lint of the set in force with this
// draft in place (kept per text, release and inventory), the workloads its
// subject selects, and what it compiles to.
import type { ServiceContext } from "@/server/context";
import { NotFound } from "@/server/errors";
import type { CompileTarget } from "@/server/policy/compile/compile";
import { compileFor, setWith, subjectMatches } from "./engine";
import { draftLint, releaseInputs } from "./release-lint";
import { checkPolicyYaml } from "./validate";
import { readPolicyYaml } from "./yaml";

export interface AnalyseInput {
  yaml: string;
  /** Cluster to compile for; default: the first the policy applies to. */
  cluster?: string;
  target?: CompileTarget;
}

export async function analyseDraft({ ctx, input }: { ctx: ServiceContext; input: AnalyseInput }) {
  const [checked, release] = await Promise.all([checkPolicyYaml(ctx.db, input.yaml), releaseInputs(ctx.db)]);
  const { targets } = release;
  const clusters = targets.map((t) => ({ name: t.name, region: t.region ?? "" }));
  if (!checked.document) return { errors: checked.errors, findings: [], matches: [], compiled: null, clusters };
  const doc = checked.document;
  const located = readPolicyYaml(input.yaml).located!;
  const set = setWith(release.released, doc, located);
  const id = `${doc.kind}/${doc.metadata.name}`;
  const findings = draftLint(release, set, input.yaml)
    .filter((f) => f.document === id)
    .map((f) => ({ id: f.id, severity: f.severity, path: f.path, line: f.line ?? 0, column: f.column ?? 0, message: f.message }));
  const matches = subjectMatches(targets, doc);
  let cluster = targets.find((t) => t.name === input.cluster);
  if (input.cluster && !cluster) throw new NotFound(`No cluster named "${input.cluster}".`);
  cluster ??= targets.find((t) => matches.some((m) => m.cluster === t.name)) ?? targets[0];
  const compiled = cluster ? compileFor(set, doc, cluster, input.target ?? "anp") : null;
  return {
    errors: checked.errors,
    findings,
    matches,
    compiled: compiled && {
      cluster: compiled.cluster,
      target: compiled.target,
      groups: compiled.groups,
      warnings: compiled.warnings.map((w) => ({ path: w.path, line: w.line, column: w.column, message: w.detail })),
      errors: compiled.errors.map((e) => e.message),
    },
    clusters,
  };
}
