import "server-only";
// The change request page's engine sections: the impact (./impact.ts, from the
// graph service's overlay of the change, cached there), the lint of the set
// with the change in place (the engine's lint with the compile check, in a
// worker thread, kept per release and proposal like the release's own lint),
// and the compiled objects' diff per cluster (./compiled-diff.ts).
import type { Queryable } from "@/db/client";
import { externalDestinations } from "@/db/schema";
import { redactPolicyNames, visibilityOf } from "@/server/auth/visibility";
import type { Actor, ServiceContext } from "@/server/context";
import { changeRequestOverlay, releasedWith, type StoredDocument, type VersionRef } from "@/server/drafts/documents";
import { asLocated } from "@/server/drafts/engine";
import { runEngine } from "@/server/engine-pool/pool";
import { NotFound, TooLarge } from "@/server/errors";
import type { ComputedGraph } from "@/server/graph/compute";
import { ALL_CLUSTERS, loadGraph } from "@/server/graph/service";
import { scopeGraph } from "@/server/graph/scope";
import { sha256Hex } from "@/server/lib/canonical";
import { documentToYaml, locateInYaml } from "@/lib/policy-yaml";
import { blocksSubmission, type BlockingFinding } from "@/lib/changes/lint-block";
import type { Finding } from "@/server/policy/lint/lint";
import { findChange, loadReview, platformDefaultEdit } from "@/server/workflow/review";
import { compiledDiff, type ClusterCompiledDiff } from "./compiled-diff";
import { computeImpact, type ChangeImpact, type Criticality, type ImpactEdit, type RiskReason } from "./impact";
import { platformDefaultChangeOf } from "@/server/platform-default/get";
import type { PlatformDefault } from "@/server/policy/model";
import { perProcess } from "@/server/lib/per-process";
import { releaseInputs, releaseLint, type ReleaseInputs } from "./release-lint";
import type { ChangeCompiledDiffInput, GetChangeInput } from "./schemas";

const KEPT = 16;
const memo = perProcess("ChangeImpact", () => ({
  lint: new Map<string, Promise<ChangeLint>>(),
  releaseWithoutCompileCheck: new Map<string, Promise<readonly Finding[]>>(),
  compiled: new Map<string, ClusterCompiledDiff[]>(),
  impact: new Map<string, { graph: ComputedGraph; impact: ChangeImpact }>(),
}));

function remember<T>(map: Map<string, T>, key: string, value: T): T {
  map.delete(key);
  map.set(key, value);
  while (map.size > KEPT) map.delete(map.keys().next().value!);
  return value;
}

/** The change request (refused as missing to someone who may not read all of it), the release, and the set with the change in place. */
async function changeSets(db: Queryable, actor: Actor, number: number) {
  const { cr, items } = await findChange(db, actor, number);
  const platformDefaultChange = await platformDefaultChangeOf(db, cr.id);
  return {
    cr,
    items,
    platformDefaultChange,
    ...(await proposalSets(db, await changeRequestOverlay(db, cr.id), platformDefaultChange?.to)),
  };
}

/**
 * The release and the set with `overlay` in place, keyed by what they hold. The key names the
 * overlay's content as well as its versions: a version written in a transaction that rolls back
 * (a refused REST proposal) may be written again with other content under the same number.
 */
async function proposalSets(db: Queryable, overlay: VersionRef[], platformDefault?: PlatformDefault) {
  const inputs = await releaseInputs(db);
  const proposal = await releasedWith(db, overlay, inputs.released);
  const moved = new Set(overlay.map((o) => o.policyId));
  const content = sha256Hex(JSON.stringify(proposal.filter((d) => moved.has(d.policyId)).map((d) => d.document)));
  const setting = platformDefault ? `|platform-default:${JSON.stringify(platformDefault)}` : "";
  const key = `${inputs.key}|${proposal.map((d) => `${d.policyId}@${d.version}`).join(",")}|${content}${setting}`;
  /** The platform default the proposal decides with: the proposed one for a platform default change, else the one in force. */
  return { inputs, proposal, key, platformDefault: platformDefault ?? inputs.platformDefault };
}

/** A lint finding as the change request page shows it. */
export interface ChangeFinding {
  id: Finding["id"];
  severity: Finding["severity"];
  /** `Kind/name`, absent for tenant-level findings. */
  document?: string;
  path: string;
  line?: number;
  message: string;
}

/**
 * Findings compare by what they say, not by their counts and examples: an organisation-wide finding
 * (e.g. "12 flow(s) in cluster x cannot be expressed exactly by target y: …") that the release has
 * already is not the change's, even when the change alters its count.
 */
const findingKey = (f: Finding) =>
  `${f.id}|${f.document ?? ""}|${f.path}|${f.document ? f.message : f.message.split(":")[0]!.replace(/\d+/g, "#")}`;

/**
 * The lint of the set with the change in place that concerns the change: every finding on a
 * document it carries, and any other finding the release does not have already.
 */
async function changeLint(
  db: Queryable,
  sets: {
    inputs: ReleaseInputs;
    proposal: StoredDocument[];
    platformDefault: PlatformDefault;
    key: string;
    items: { kind: string; name: string }[];
  },
  compileCheck = true,
): Promise<ChangeLint> {
  const key = lintKey(sets.key, compileCheck);
  let pending = memo().lint.get(key);
  if (!pending) {
    pending = lintOfChange(db, sets, compileCheck).catch((error: unknown) => {
      memo().lint.delete(key);
      throw error;
    });
  }
  return remember(memo().lint, key, pending);
}

/** The page's lint (with the compile check) is kept under the set's key; the submission's (without it) beside it. */
const lintKey = (setKey: string, compileCheck: boolean) => (compileCheck ? setKey : `${setKey}|without-compile-check`);

/** The release's lint without the compile check (what a submission's lint is compared with), kept per release. */
function releaseLintWithoutCompileCheck(inputs: ReleaseInputs): Promise<readonly Finding[]> {
  const kept = memo().releaseWithoutCompileCheck;
  let pending = kept.get(inputs.key);
  if (!pending) {
    pending = runEngine("lintRelease", {
      released: inputs.released,
      targets: inputs.targets,
      platformDefault: inputs.platformDefault,
      compileCheck: false,
    });
    pending.catch(() => kept.delete(inputs.key));
  }
  return remember(kept, inputs.key, pending);
}

interface ChangeLint {
  findings: ChangeFinding[];
  unavailable?: string;
}

async function lintOfChange(
  db: Queryable,
  sets: { inputs: ReleaseInputs; proposal: StoredDocument[]; platformDefault: PlatformDefault; items: { kind: string; name: string }[] },
  compileCheck: boolean,
): Promise<ChangeLint> {
  // The release's lint first: both run in the engine's worker (one thread on two cores), and a task's time limit counts its wait.
  const release = compileCheck
    ? await releaseLint(db).then(
        (r) => r.findings,
        () => null,
      )
    : await releaseLintWithoutCompileCheck(sets.inputs).catch(() => null);
  let findings: Finding[];
  try {
    findings = await runEngine("lintRelease", {
      released: sets.proposal,
      targets: sets.inputs.targets,
      platformDefault: sets.platformDefault,
      compileCheck,
    });
  } catch (error) {
    // Too large stays so (same inputs, same work): remembered, so the next visit does not wait for it again.
    if (error instanceof TooLarge) return { findings: [], unavailable: error.message };
    throw error;
  }
  const own = new Set(sets.items.map((i) => `${i.kind}/${i.name}`));
  const before = new Set((release ?? []).map(findingKey));
  const lineOf = linesInConsoleYaml(sets.proposal);
  return {
    findings: findings
      .filter((f) => (f.document !== undefined && own.has(f.document)) || !before.has(findingKey(f)))
      .map((f): ChangeFinding => {
        const line = f.line ?? (f.document ? lineOf(f.document, f.path) : undefined);
        return {
          id: f.id,
          severity: f.severity,
          ...(f.document ? { document: f.document } : {}),
          path: f.path,
          ...(line ? { line } : {}),
          message: f.message,
        };
      }),
  };
}

/**
 * Stored documents carry no positions: a finding's line is placed in the YAML the console shows
 * for that version (the editor's text, the change's diff), by its field path.
 */
function linesInConsoleYaml(documents: readonly StoredDocument[]) {
  const texts = new Map<string, string>();
  return (document: string, path: string): number | undefined => {
    const stored = documents.find((d) => `${d.kind}/${d.name}` === document);
    if (!stored) return undefined;
    let text = texts.get(document);
    if (text === undefined) texts.set(document, (text = documentToYaml(stored.document)));
    const segments = (path.match(/[^.[\]]+/g) ?? []).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
    return locateInYaml(text, segments, document).line || undefined;
  };
}

export interface ChangeImpactView extends ChangeImpact {
  lint: ChangeFinding[];
  /** Why the lint (with the compile check) could not be computed, when it could not. */
  lintUnavailable?: string;
  /** The compile check's disagreements the change brings (lint errors "compile-disagreement"): the release would refuse them. */
  compileErrors: string[];
}

export async function getChangeImpact({ ctx, input }: { ctx: ServiceContext; input: GetChangeInput }): Promise<ChangeImpactView> {
  const sets = await changeSets(ctx.db, ctx.actor, input.number);
  const [review, visibility, externals, { findings: lint, unavailable }, { graph }] = await Promise.all([
    // The review says which constraint edits loosen their constraint; a change without constraints needs none of it.
    sets.items.some((i) => i.kind === "ComplianceConstraint") ? loadReview(ctx.db, sets.cr, sets.items) : null,
    visibilityOf(ctx.db, ctx.actor),
    ctx.db
      .select({ name: externalDestinations.name, dnsName: externalDestinations.dnsName, criticality: externalDestinations.criticality })
      .from(externalDestinations),
    changeLint(ctx.db, sets),
    loadGraph(ctx.db, ALL_CLUSTERS, { kind: "cr", id: sets.cr.id }, ctx.actor),
  ]);
  // The graph names an external destination by its DNS name, or a CIDR by the destination's name.
  const criticality = new Map<string, Criticality>(externals.map((e) => [e.dnsName ?? e.name, e.criticality]));
  const compileErrors = lint.filter((f) => f.id === "compile-disagreement").map((f) => f.message);
  const lintErrors = lint.filter((f) => f.severity === "error" && f.id !== "compile-disagreement");
  const extraReasons: RiskReason[] = [
    ...(compileErrors.length
      ? [
          {
            level: "high" as const,
            text: `the compiled objects would decide flows unlike the platform (${compileErrors.length} error(s)): the release would refuse them`,
          },
        ]
      : []),
    ...(lintErrors.length ? [{ level: "high" as const, text: `${lintErrors.length} lint error(s): ${lintErrors[0]!.message}` }] : []),
    // Unchecked is not safe: neither the lint nor the compile check vouches for the change.
    ...(unavailable ? [{ level: "high" as const, text: `the lint and compile check could not finish: ${unavailable}` }] : []),
  ];
  const edits: ImpactEdit[] = sets.items.map((i) => ({
    policy: i.name,
    kind: i.kind,
    tier: i.tier,
    fromVersion: i.fromVersion,
    toVersion: i.toVersion,
    loosensConstraint: review?.edits.find((e) => e.policy === i.name)?.loosensConstraint ?? false,
  }));
  const change = sets.platformDefaultChange;
  if (change) edits.push({ ...platformDefaultEdit(change), fromVersion: change.fromVersion, toVersion: change.fromVersion + 1 });
  // Someone who sees everything sees the same impact: kept while the graph it came from is the cached one.
  const cacheKey = `${sets.key}|${JSON.stringify([edits, extraReasons, externals])}`;
  const kept = visibility.scoped ? undefined : memo().impact.get(cacheKey);
  const impact: ChangeImpact =
    kept && kept.graph === graph ? kept.impact : computeImpact({ graph: scopeGraph(graph, visibility), edits, criticality, extraReasons });
  if (!visibility.scoped) remember(memo().impact, cacheKey, { graph, impact });
  const hidden = (workload: string) => visibility.hiddenNamespaces.has(workload.split("/")[0]!);
  const clusters = impact.clusters.map((c) => ({
    ...c,
    newlyDefaultDenied: c.newlyDefaultDenied.filter((d) => !hidden(d.workload)),
    noLongerDefaultDenied: c.noLongerDefaultDenied.filter((d) => !hidden(d.workload)),
  }));
  return redactPolicyNames(
    { ...impact, clusters, lint, compileErrors, ...(unavailable ? { lintUnavailable: unavailable } : {}) },
    visibility,
  );
}

/** Per cluster (or the one asked for), the compiled objects that differ between the release and the release with the change. */
export async function getChangeCompiledDiff({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: ChangeCompiledDiffInput;
}): Promise<{ target: ChangeCompiledDiffInput["target"]; clusters: ClusterCompiledDiff[] }> {
  const sets = await changeSets(ctx.db, ctx.actor, input.number);
  const targets = sets.inputs.targets.filter((t) => input.cluster === undefined || t.name === input.cluster);
  if (input.cluster !== undefined && targets.length === 0) throw new NotFound(`No cluster named "${input.cluster}".`);
  const key = `${sets.key}|${input.target}|${targets.map((t) => t.name).join(",")}`;
  let diffs: ClusterCompiledDiff[] | undefined = memo().compiled.get(key);
  if (!diffs) {
    const release = sets.inputs.released.map(asLocated);
    const proposal = sets.proposal.map(asLocated);
    const now = new Date();
    diffs = targets.map((cluster) =>
      compiledDiff({
        release,
        proposal,
        cluster,
        target: input.target,
        platformDefault: sets.inputs.platformDefault,
        proposalPlatformDefault: sets.platformDefault,
        now,
      }),
    );
  }
  remember(memo().compiled, key, diffs);
  // Compiled objects name their source documents: what this person may not read is redacted.
  return redactPolicyNames({ target: input.target, clusters: diffs }, await visibilityOf(ctx.db, ctx.actor));
}

/**
 * The lint errors of the set with `overlay` (a change's proposed versions) in place that concern
 * the change, as the change page lists them (the same lint, kept in memory under the same key, so
 * a page already opened makes this instant). Warnings and infos are not returned: they never block.
 * A lint that could not finish (too large for the engine's time limit) blocks nothing here; the
 * page shows it as unchecked, and the release's own compile check still refuses a disagreeing set.
 */
export async function lintErrorsOf(
  db: Queryable,
  overlay: VersionRef[],
  items: { kind: string; name: string }[],
): Promise<{ errors: BlockingFinding[]; findings: ChangeFinding[]; unavailable?: string }> {
  const sets = await proposalSets(db, overlay);
  // The page's lint when someone opened it already (it holds every finding of this one); else the lint without the
  // compile check, much cheaper: a compile disagreement is the release's refusal (issue 10), not the submission's.
  const full = memo().lint.has(sets.key);
  const { findings, unavailable } = await changeLint(db, { ...sets, items }, full);
  // Not kept for the next submission: the engine's time limit counts waiting for a busy worker, so a retry may finish.
  if (unavailable) memo().lint.delete(lintKey(sets.key, full));
  const errors = findings
    .filter(blocksSubmission)
    .map(({ id, document, path, line, message }) => ({ id, path, message, ...(document ? { document } : {}), ...(line ? { line } : {}) }));
  return { errors, findings, ...(unavailable ? { unavailable } : {}) };
}
