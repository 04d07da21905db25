// Pure (no database; runs in the engine worker, server/engine-pool): the
// analysis of an editor's YAML over the release and the inventory the caller
// loaded — the reader's errors, the lint of the set in force with this draft
// in place, the workloads its subject selects, and what it compiles to.
import type { CompileTarget } from "@/server/policy/compile/compile";
import type { TargetCluster } from "@/server/policy/documents/lower";
import { lint, type Finding } from "@/server/policy/lint/lint";
import type { PlatformDefault } from "@/server/policy/model";
import { formatVerifyFinding, type VerifyFinding } from "@/server/policy/compile/verify";
import { checkPolicyText } from "./check";
import type { StoredDocument } from "./documents";
import { asLocated, compileFor, setWith, subjectMatches } from "./engine";

export interface DraftFinding {
  id: Finding["id"];
  severity: Finding["severity"];
  path: string;
  line: number;
  column: number;
  message: string;
}

export interface DraftAnalysisInput {
  yaml: string;
  /** Names of the tenants that exist. */
  tenants: readonly string[];
  released: readonly StoredDocument[];
  targets: readonly TargetCluster[];
  platformDefault: PlatformDefault;
  /** Cluster to compile for (one of `targets`); default: the first the policy applies to. */
  cluster?: string;
  target?: CompileTarget;
  /** This draft's findings when the caller already has them for this release and text (lint is the costly part). */
  findings?: readonly DraftFinding[] | null;
}

/** The compile check's disagreements as the editor's findings (errors: the cluster would not enforce what the console shows). */
function disagreementFindings(list: readonly VerifyFinding[]): DraftFinding[] {
  if (list.length === 0) return [];
  const shown = list.slice(0, 3).map(formatVerifyFinding).join("; ");
  return [
    {
      id: "compile-disagreement",
      severity: "error",
      path: "spec",
      line: 0,
      column: 0,
      message: `the compiled objects would decide ${list.length} flow(s) unlike the platform, so the cluster would not enforce what the console shows: ${shown}${list.length > 3 ? `; and ${list.length - 3} more` : ""}`,
    },
  ];
}

export function analyseDraftText(input: DraftAnalysisInput) {
  const { targets } = input;
  const checked = checkPolicyText(input.yaml, input.tenants);
  if (!checked.document || !checked.located)
    return { parsed: checked.parsed, errors: checked.errors, findings: [], matches: [], compiled: null };
  const doc = checked.document;
  const set = setWith(input.released, doc, checked.located);
  const id = `${doc.kind}/${doc.metadata.name}`;
  const findings =
    input.findings ??
    lint({ documents: set, clusters: targets, secureByDefault: input.platformDefault })
      .filter((f) => f.document === id)
      .map((f) => ({ id: f.id, severity: f.severity, path: f.path, line: f.line ?? 0, column: f.column ?? 0, message: f.message }));
  const matches = subjectMatches(targets, doc);
  const cluster =
    targets.find((t) => t.name === input.cluster) ?? targets.find((t) => matches.some((m) => m.cluster === t.name)) ?? targets[0];
  const compiled = cluster ? compileFor(set, doc, cluster, input.target ?? "anp", input.platformDefault) : null;
  return {
    parsed: true,
    errors: checked.errors,
    // The compile check of the cluster and target shown (the release lint checks every one).
    findings: [...findings, ...disagreementFindings(compiled?.disagreements ?? [])],
    matches,
    compiled: compiled && {
      cluster: compiled.cluster,
      target: compiled.target,
      groups: compiled.groups,
      warnings: compiled.warnings.map((w) => ({ path: w.path, line: w.line, column: w.column, message: w.detail })),
      errors: compiled.errors.map((e) => e.message),
    },
  };
}

/** The engine's lint of the released set against the inventory (with the compile check unless `compileCheck` is false). */
export function lintRelease(input: {
  released: readonly StoredDocument[];
  targets: readonly TargetCluster[];
  platformDefault: PlatformDefault;
  compileCheck?: boolean;
}): Finding[] {
  return lint({
    documents: input.released.map(asLocated),
    clusters: input.targets,
    secureByDefault: input.platformDefault,
    compileCheck: input.compileCheck ?? true,
  });
}
