import "server-only";
// Rebase a change request onto the current release (issue 13 item 6). When a
// release moved one of its policies on since the change was proposed, the
// change's draft is merged three ways per policy: base = the version it was
// proposed from, release = the version released since, draft = the proposed
// version. A clean merge becomes a new draft version; a conflict is shown to
// the author, who sends the resolved YAML back. The release's changes are never
// dropped silently: editing a stale change is refused (edit.ts) and points here.
// The rebased content has a new hash, so standing approvals are voided.
import { and, eq, inArray } from "drizzle-orm";
import type { Queryable } from "@/db/client";
import { policyVersions } from "@/db/schema";
import { withTransaction, type ServiceContext } from "@/server/context";
import { Conflict, InvalidInput } from "@/server/errors";
import { documentToYaml } from "@/lib/policy-yaml";
import { conflictMarkerLines, mergeBase, threeWayMerge, withConflictMarkers, type MergeHunk } from "@/lib/changes/three-way";
import { changeContentHash, type HashedItem } from "@/server/changes/content-hash";
import { requireNoLintErrors } from "@/server/changes/lint-gate";
import { refuseProposedElsewhere } from "@/server/changes/proposable";
import { contentHash } from "@/server/lib/canonical";
import { writeDraft } from "@/server/drafts/save-draft";
import { requireValidPolicyYaml } from "@/server/drafts/validate";
import { rollbackOf } from "@/server/releases/rollback";
import { requireAuthorOrAdmin } from "./access";
import { lockLatestVersions, replaceChangeContent } from "./content";
import { findChange, itemsOf, type ChangeItem } from "./review";
import type { ChangeNumberInput, RebaseChangeInput } from "./schemas";
import { requireTransition } from "./states";
import { moveChange } from "./transition";

export interface PolicyRebase {
  policy: string;
  /** The version the change was proposed from (null: the policy was new). */
  proposedFrom: number | null;
  /** The merge base: the newest version the draft and the release were both written from (see mergeBase). */
  base: { version: number | null; yaml: string };
  /** The version released since (null: the release took the policy out). */
  release: { version: number | null; yaml: string };
  draft: { version: number; yaml: string };
  hunks: MergeHunk[];
  conflicts: number;
  /** The merged YAML when nothing conflicts. */
  merged: string | null;
  /** The merge with each conflict between markers: what the author edits. */
  withMarkers: string;
}

/** Items whose released version moved away from the version they were proposed from. */
export const staleItems = (items: readonly ChangeItem[]) => items.filter((i) => i.releasedVersion !== i.fromVersion);

/** The three-way merge of every stale item (empty: the change is on the current release). */
export async function planRebase(db: Queryable, items: readonly ChangeItem[]): Promise<PolicyRebase[]> {
  const stale = staleItems(items);
  const versions = stale.length
    ? await db
        .select({
          policyId: policyVersions.policyId,
          version: policyVersions.version,
          parent: policyVersions.parentVersion,
          document: policyVersions.document,
        })
        .from(policyVersions)
        .where(
          inArray(
            policyVersions.policyId,
            stale.map((i) => i.policyId),
          ),
        )
    : [];
  const yamlOf = (policyId: string, version: number | null) => {
    const found = version === null ? undefined : versions.find((v) => v.policyId === policyId && v.version === version);
    return found ? documentToYaml(found.document) : "";
  };
  return stale.map((i) => {
    const lineage = new Map(versions.filter((v) => v.policyId === i.policyId).map((v) => [v.version, v.parent]));
    const baseVersion = mergeBase(lineage, i);
    const base = { version: baseVersion, yaml: yamlOf(i.policyId, baseVersion) };
    const release = { version: i.releasedVersion, yaml: yamlOf(i.policyId, i.releasedVersion) };
    const draft = { version: i.toVersion, yaml: yamlOf(i.policyId, i.toVersion) };
    const merge = threeWayMerge({ base: base.yaml, draft: draft.yaml, release: release.yaml });
    const label = (what: string, v: number | null) => `${what} (${v === null ? "none" : `v${v}`})`;
    return {
      policy: i.name,
      proposedFrom: i.fromVersion,
      base,
      release,
      draft,
      ...merge,
      withMarkers: withConflictMarkers(merge.hunks, {
        draft: label("your change", draft.version),
        base: label("common base", base.version),
        release: label("released since", release.version),
      }),
    };
  });
}

/** One policy a rebase cannot merge alone, as a refusal lists it (REST 409 body, tRPC error data): what to resolve, onto what. */
export function rebaseConflictOf(p: PolicyRebase) {
  return {
    policy: p.policy,
    conflicts: p.conflicts,
    proposedFrom: p.proposedFrom,
    base: p.base.version,
    /** The released version to resolve onto: send it back as the resolution's `onto`. */
    onto: p.release.version,
    draft: p.draft.version,
    /** The merge with each conflict between markers: edit it, then send it as the resolution's `yaml`. */
    withMarkers: p.withMarkers,
  };
}

export async function getRebase({ ctx, input }: { ctx: ServiceContext; input: ChangeNumberInput }) {
  const { cr, items } = await findChange(ctx.db, ctx.actor, input.number);
  return { number: cr.number, state: cr.state, contentHash: cr.contentHash, policies: await planRebase(ctx.db, items) };
}

export async function rebaseChange({ ctx, input }: { ctx: ServiceContext; input: RebaseChangeInput }) {
  return withTransaction(ctx, async (tx) => {
    const { cr, items: proposed } = await findChange(tx.db, ctx.actor, input.number, true);
    requireAuthorOrAdmin(ctx.actor, { cr }, "rebase");
    const next = requireTransition(cr.number, cr.state, "edit");
    if (input.contentHash !== cr.contentHash)
      throw new Conflict(
        `Change request #${cr.number} was changed by someone else since you opened it (now ${cr.contentHash.slice(0, 12)}). Reload it, then rebase again.`,
      );
    if (await rollbackOf(tx.db, cr.id))
      throw new Conflict(`Change request #${cr.number} is a rollback; propose the rollback again from the current release instead.`);
    // The policies' rows are locked (as a release locks them to move them): no release moves them while we merge.
    const latest = await lockLatestVersions(
      tx.db,
      proposed.map((i) => i.policyId),
    );
    const items = await itemsOf(tx.db, cr.id);
    const plan = await planRebase(tx.db, items);
    if (plan.length === 0)
      throw new Conflict(`Change request #${cr.number} needs no rebase: every policy in it is proposed from its released version.`);

    const byPolicy = new Map(plan.map((p) => [p.policy, p]));
    input.resolutions.forEach((r, n) => {
      const p = byPolicy.get(r.policy);
      if (!p)
        throw new InvalidInput(
          `resolutions[${n}].policy: ${r.policy} is not a policy of change #${cr.number} that needs a rebase (those are ${plan.map((q) => q.policy).join(", ")})`,
          `resolutions.${n}.policy`,
        );
      if (r.onto !== p.release.version)
        throw new Conflict(
          `${r.policy} was released again since you resolved it (you resolved onto ${r.onto === null ? "none" : `v${r.onto}`}, the release now has ${p.release.version === null ? "none" : `v${p.release.version}`}). Reload and resolve again.`,
        );
    });
    const unresolved = plan.filter((p) => p.conflicts > 0 && !input.resolutions.some((r) => r.policy === p.policy));
    if (unresolved.length > 0)
      throw new Conflict(
        `Change request #${cr.number} cannot be rebased without you: ${unresolved.map((p) => `${p.policy} has ${p.conflicts} conflict${p.conflicts > 1 ? "s" : ""} between your change and the release`).join("; ")}. Resolve ${unresolved.length > 1 ? "them" : "it"} and send the resolved YAML.`,
        { conflicts: unresolved.map(rebaseConflictOf) },
      );

    const rebased: {
      policy: string;
      proposedFrom: number | null;
      base: number | null;
      onto: number | null;
      draft: number;
      version: number;
      resolvedBy: "merge" | "author";
    }[] = [];
    const moved = new Map<string, number>();
    for (const p of plan) {
      const n = input.resolutions.findIndex((r) => r.policy === p.policy);
      const yaml = n >= 0 ? input.resolutions[n]!.yaml : p.merged!;
      const field = n >= 0 ? `resolutions.${n}.yaml` : "contentHash";
      const markers = conflictMarkerLines(yaml);
      if (markers.length > 0)
        throw new InvalidInput(
          `${p.policy}: conflict markers are still in the YAML at line${markers.length > 1 ? "s" : ""} ${markers.join(", ")}; keep one side (or both) of each conflict and remove the markers`,
          field,
          { line: markers[0]!, column: 1 },
        );
      const valid = await requireValidPolicyYaml(tx.db, yaml).catch((error: unknown) => {
        if (error instanceof InvalidInput) throw new InvalidInput(`${p.policy}: ${error.message}`, field, error.position);
        throw error;
      });
      const item = items.find((i) => i.name === p.policy)!;
      const [draft] = await tx.db
        .select({ hash: policyVersions.contentHash })
        .from(policyVersions)
        .where(and(eq(policyVersions.policyId, item.policyId), eq(policyVersions.version, item.toVersion)));
      let version = item.toVersion;
      // The draft already holds the release's changes (it was written on top of them): only its base moves.
      if (contentHash(valid.document) !== draft?.hash) {
        const saved = await writeDraft({
          ctx: tx,
          document: valid.document,
          tenantId: valid.tenantId,
          policyName: p.policy,
          baseVersion: latest.get(item.policyId)!,
          message: `Rebased change #${cr.number} onto ${p.release.version === null ? "a release without it" : `released v${p.release.version}`}`,
          positions: valid.positions,
          parentVersion: p.release.version,
        }).catch((error: unknown) => {
          if (error instanceof InvalidInput) throw new InvalidInput(`${p.policy}: ${error.message}`, field, error.position);
          throw error;
        });
        version = saved.version;
      }
      moved.set(item.policyId, version);
      rebased.push({
        policy: p.policy,
        proposedFrom: p.proposedFrom,
        base: p.base.version,
        onto: p.release.version,
        draft: p.draft.version,
        version,
        resolvedBy: n >= 0 ? "author" : "merge",
      });
    }

    const newItems: HashedItem[] = items.map((i) => ({
      policyId: i.policyId,
      name: i.name,
      kind: i.kind,
      fromVersion: moved.has(i.policyId) ? i.releasedVersion : i.fromVersion,
      toVersion: moved.get(i.policyId) ?? i.toVersion,
    }));
    await refuseProposedElsewhere(tx.db, newItems, cr.id);
    const hash = await changeContentHash(tx.db, newItems, cr.staged);
    if (next === "in-review")
      await requireNoLintErrors(
        tx.db,
        `Change request #${cr.number}`,
        newItems.map((i) => ({ policyId: i.policyId, version: i.toVersion })),
        newItems,
      );
    const voided = await replaceChangeContent(tx, cr, newItems, hash, { why: "the change was rebased onto the current release" });
    await moveChange(tx, cr, "edit", next, {
      contentHash: hash,
      title: cr.title,
      items: newItems.map(({ name, fromVersion, toVersion }) => ({ policy: name, fromVersion, toVersion })),
      voidedApprovals: voided.map((v) => v.approverLabel),
      rebased,
    });
    return { number: cr.number, state: next, contentHash: hash, voided: voided.length, rebased };
  });
}
