// Live analysis of the editor's YAML (nothing is written): the reader's
// errors with line and column, the engine's lint of the set in force with this
// draft in place (the release's cached lint while the draft holds the released
// content), the workloads its subject selects, and what it compiles to.
import type { ServiceContext } from "@/server/context";
import { NotFound } from "@/server/errors";
import type { CompileTarget } from "@/server/policy/compile/compile";
import { contentHash } from "@/server/lib/canonical";
import type { LocatedDocument } from "@/server/policy/documents/read";
import { lint, type Finding } from "@/server/policy/lint/lint";
import type { StoredDocument } from "./documents";
import { compileFor, readContentHash, setWith, subjectMatches } from "./engine";
import { releaseLint } from "./release-lint";
import { checkPolicyYaml, type PolicyDocumentOf } from "./validate";
import { parsePath, readPolicyYaml } from "./yaml";

export interface AnalyseInput {
  yaml: string;
  /** Cluster to compile for; default: the first the policy applies to. */
  cluster?: string;
  target?: CompileTarget;
}

/** The editor holds the released content of this document: the set in force is the release as it is. */
function isReleased(released: readonly StoredDocument[], doc: PolicyDocumentOf): boolean {
  const stored = released.find((d) => d.document.kind === doc.kind && d.name === doc.metadata.name);
  return stored !== undefined && readContentHash(stored.document) === contentHash(doc);
}

/** The release's findings placed in the editor's YAML. */
function locatedIn(findings: readonly Finding[], located: LocatedDocument): Finding[] {
  return findings.map((f) => {
    const at = located.locate?.(parsePath(f.path));
    return at && at.line > 0 ? { ...f, line: at.line, column: at.column } : f;
  });
}

export async function analyseDraft({ ctx, input }: { ctx: ServiceContext; input: AnalyseInput }) {
  const [checked, release] = await Promise.all([checkPolicyYaml(ctx.db, input.yaml), releaseLint(ctx.db)]);
  const { targets } = release;
  const clusters = targets.map((t) => ({ name: t.name, region: t.region ?? "" }));
  if (!checked.document) return { errors: checked.errors, findings: [], matches: [], compiled: null, clusters };
  const doc = checked.document;
  const located = readPolicyYaml(input.yaml).located!;
  const set = setWith(release.released, doc, located);
  const id = `${doc.kind}/${doc.metadata.name}`;
  const findings = (isReleased(release.released, doc) ? locatedIn(release.findings, located) : lint({ documents: set, clusters: targets }))
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
