// Pure (no database; runs in the engine worker, server/engine-pool): the
// analysis of an editor's YAML over the release and the inventory the caller
// loaded — the reader's errors, the lint of the set in force with this draft
// in place, the workloads its subject selects, and what it compiles to.
import type { CompileTarget } from "@/server/policy/compile/compile";
import type { TargetCluster } from "@/server/policy/documents/lower";
import { lint, type Finding } from "@/server/policy/lint/lint";
import type { PlatformDefault } from "@/server/policy/model";
import { formatVerifyFinding, type VerifyFinding } from "@/server/policy/compile/verify";
import { contentHash } from "@/server/lib/canonical";
import type { PolicyInputError } from "@/server/policy/errors";
import type { PathSeg } from "@/server/policy/read/yaml";
import type { ExceptionDocument, PolicyplaneDocument } from "@/server/policy/documents/schema";
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
  /**
   * Names the release, the platform default and the inventory (server/changes/release-lint.ts key): with it,
   * the compile check is kept per (release, document content, cluster, target), so text that reads as the
   * same document (whitespace, comments, key order, a cluster tab visited again) is not compiled again.
   */
  releaseKey?: string;
}

/** What the compile check of one draft document gave, kept per key (positions are relocated in the current text). */
type KeptCompile = NonNullable<ReturnType<typeof compileFor>>;
const COMPILES_KEPT = 32;
const compiles = new Map<string, KeptCompile>();
let compileCount = 0;

/** How many compile checks this thread ran (the rest were answered from its memory): for tests and the bench. */
export const draftCompileCount = () => compileCount;

/**
 * The compile check of `doc` in `set`, kept per (release, document content hash, cluster, target, the
 * exceptions in their window now). The release key alone would not do: an exception that starts or
 * expires changes what compiles without changing the release.
 */
function compileKept(
  input: DraftAnalysisInput,
  set: ReturnType<typeof setWith>,
  doc: PolicyplaneDocument,
  cluster: TargetCluster,
  target: CompileTarget,
): { compiled: KeptCompile; kept: boolean } {
  if (input.releaseKey === undefined) {
    compileCount++;
    return { compiled: compileFor(set, doc, cluster, target, input.platformDefault), kept: false };
  }
  const now = Date.now();
  const inWindow = input.released
    .filter((d) => d.document.kind === "Exception")
    .filter((d) => {
      const spec = (d.document as ExceptionDocument).spec;
      return (spec.startsAt === undefined || Date.parse(spec.startsAt) <= now) && now < Date.parse(spec.expiresAt);
    })
    .map((d) => d.name);
  const key = `${input.releaseKey}|${contentHash(doc)}|${cluster.name}|${target}|${inWindow.join(",")}`;
  const kept = compiles.get(key);
  if (kept) compiles.delete(key);
  else compileCount++;
  const compiled = kept ?? compileFor(set, doc, cluster, target, input.platformDefault);
  compiles.set(key, compiled);
  while (compiles.size > COMPILES_KEPT) compiles.delete(compiles.keys().next().value!);
  return { compiled, kept: kept !== undefined };
}

/** A kept warning placed in the current text by its field path (the same document, perhaps written differently). */
function relocate(w: PolicyInputError, located: { locate?: (path: readonly PathSeg[]) => { line: number; column: number } }) {
  if (!located.locate || w.path === "") return { path: w.path, line: w.line, column: w.column, message: w.detail };
  const segments = (w.path.match(/[^.[\]]+/g) ?? []).map((x) => (/^\d+$/.test(x) ? Number(x) : x));
  const at = located.locate(segments);
  return { path: w.path, line: at.line, column: at.column, message: w.detail };
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
  const check = cluster ? compileKept(input, set, doc, cluster, input.target ?? "anp") : null;
  const compiled = check?.compiled ?? null;
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
      warnings: compiled.warnings.map((w) =>
        check?.kept ? relocate(w, checked.located!) : { path: w.path, line: w.line, column: w.column, message: w.detail },
      ),
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
