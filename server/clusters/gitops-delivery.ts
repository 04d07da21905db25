import "server-only";
// What a GitOps push means for the rollouts (issue 16, bad input: "the git remote unreachable: the
// rollout shows failed with the reason"). A failed push marks the rollouts the commit carries
// failed, with the reason, until a later push delivers it; the outage is audited when it starts
// and when it ends, not on every export that retries in between.
import { and, eq, inArray, or } from "drizzle-orm";
import { gitopsRemotes, releaseClusterRollouts, releases } from "@/db/schema";
import { recordAudit } from "@/server/audit/record";
import type { ServiceContext } from "@/server/context";
import type { PushOutcome } from "./gitops-remote";

/** A cluster's folder in the export: the release rendered into it (null: none). */
export interface ExportedCluster {
  name: string;
  release: number | null;
}

/**
 * Records a push's outcome inside the caller's transaction. Failed: each exported cluster's
 * rollout of its release that was rendered (or already failed by an earlier push) becomes failed
 * with the reason. Pushed: every rollout a push had failed is rendered again (the remote now holds
 * every commit made so far). Returns the audit action written, if any.
 */
export async function recordDelivery(
  tx: ServiceContext,
  input: { dir: string; outcome: PushOutcome; exported: readonly ExportedCluster[] },
): Promise<"gitops.push_failed" | "gitops.push_recovered" | null> {
  const { outcome } = input;
  const now = new Date();
  const [state] = await tx.db.select().from(gitopsRemotes).where(eq(gitopsRemotes.url, outcome.url)).for("update");
  const failingSince = state?.failingSince ?? null;
  if (!outcome.pushed) {
    const reason = `the GitOps push failed: ${outcome.error}`.slice(0, 2000);
    const numbers = [...new Set(input.exported.flatMap((c) => (c.release === null ? [] : [c.release])))];
    const ids = numbers.length
      ? await tx.db.select({ id: releases.id, number: releases.number }).from(releases).where(inArray(releases.number, numbers))
      : [];
    const failed: { cluster: string; release: number }[] = [];
    for (const c of input.exported) {
      const release = ids.find((r) => r.number === c.release);
      if (!release) continue;
      const rows = await tx.db
        .update(releaseClusterRollouts)
        .set({ status: "failed", message: reason, failedBy: "gitops-push", updatedAt: now })
        .where(
          and(
            eq(releaseClusterRollouts.releaseId, release.id),
            eq(releaseClusterRollouts.clusterName, c.name),
            or(eq(releaseClusterRollouts.status, "rendered"), eq(releaseClusterRollouts.failedBy, "gitops-push")),
          ),
        )
        .returning({ id: releaseClusterRollouts.id });
      if (rows.length > 0) failed.push({ cluster: c.name, release: release.number });
    }
    const since = failingSince ?? now;
    await tx.db
      .insert(gitopsRemotes)
      .values({ url: outcome.url, failingSince: since, error: outcome.error, updatedAt: now })
      .onConflictDoUpdate({ target: gitopsRemotes.url, set: { failingSince: since, error: outcome.error, updatedAt: now } });
    if (failingSince !== null) return null;
    await recordAudit(tx, {
      action: "gitops.push_failed",
      targetType: "gitops",
      targetId: outcome.url,
      targetLabel: `GitOps remote ${outcome.url}`,
      after: { dir: input.dir, ...outcome, rollouts: failed },
    });
    return "gitops.push_failed";
  }
  const restored = await tx.db
    .update(releaseClusterRollouts)
    .set({ status: "rendered", message: null, failedBy: null, updatedAt: now })
    .where(eq(releaseClusterRollouts.failedBy, "gitops-push"))
    .returning({ cluster: releaseClusterRollouts.clusterName, releaseId: releaseClusterRollouts.releaseId });
  await tx.db
    .insert(gitopsRemotes)
    .values({ url: outcome.url, failingSince: null, error: null, updatedAt: now })
    .onConflictDoUpdate({ target: gitopsRemotes.url, set: { failingSince: null, error: null, updatedAt: now } });
  if (failingSince === null) return null;
  await recordAudit(tx, {
    action: "gitops.push_recovered",
    targetType: "gitops",
    targetId: outcome.url,
    targetLabel: `GitOps remote ${outcome.url}`,
    before: { failingSince: failingSince.toISOString(), error: state?.error ?? null },
    after: { dir: input.dir, ...outcome, rollouts: restored.length },
  });
  return "gitops.push_recovered";
}
