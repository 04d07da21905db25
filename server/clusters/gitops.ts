import "server-only";
// GitOps export (issue 16 §4): every active cluster's desired state (its
// release and the exceptions in force, compiled for it) rendered into clusters/<name>/ with a
// kustomization.yaml, and committed to a local Git repository with
// isomorphic-git (pure JS) in one commit naming the releases and their change
// requests. Argo CD or Flux takes it from there. Every cluster is rendered
// before anything is written: a cluster whose release does not compile stops
// the export with nothing changed. With POLICYPLANE_GITOPS_REMOTE the local
// repository follows that remote branch and each commit is pushed
// (gitops-remote.ts); a failed push is reported, the commit kept locally, and the rollouts it
// carries marked failed until a later push delivers it (gitops-delivery.ts).
import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { eq, inArray, isNull } from "drizzle-orm";
import git from "isomorphic-git";
import { stringify } from "yaml";
import { changeRequests, clusterProfiles, clusters, releases } from "@/db/schema";
import type { ObservedObject } from "@/db/schema/clusters";
import { recordAudit } from "@/server/audit/record";
import { requireRole } from "@/server/auth/authorize";
import { withTransaction, type ServiceContext } from "@/server/context";
import { serverNow } from "@/server/clock";
import { runEngine } from "@/server/engine-pool/pool";
import { env } from "@/server/env";
import { Conflict } from "@/server/errors";
import { recordDelivery } from "./gitops-delivery";
import { pushToRemote, syncFromRemote, describeRemoteError, type GitOpsRemote, type PushOutcome } from "./gitops-remote";
import { renderInputFor } from "./observed";

const AUTHOR = { name: "Policyplane", email: "policyplane@localhost" };

/** The remote the export pushes to, from the environment (none: local only). */
export function gitOpsRemoteFromEnv(): GitOpsRemote | null {
  const e = env();
  if (!e.POLICYPLANE_GITOPS_REMOTE) return null;
  return {
    url: e.POLICYPLANE_GITOPS_REMOTE,
    branch: e.POLICYPLANE_GITOPS_BRANCH,
    username: e.POLICYPLANE_GITOPS_USERNAME,
    token: e.POLICYPLANE_GITOPS_TOKEN,
  };
}

const fileOf = (o: ObservedObject) => `${o.metadata.namespace ?? "_cluster"}/${o.kind.toLowerCase()}-${o.metadata.name}.yaml`;

export async function exportGitOps({
  ctx,
  dir = env().POLICYPLANE_GITOPS_DIR,
  remote = gitOpsRemoteFromEnv(),
  reason,
}: {
  ctx: ServiceContext;
  dir?: string;
  /** Where each commit is pushed (default: POLICYPLANE_GITOPS_REMOTE and its credentials; null: nowhere). */
  remote?: GitOpsRemote | null;
  /** Why the export runs when no person asked (an exception started, expired or was revoked): the commit's first line. */
  reason?: string;
}) {
  requireRole(ctx.actor, "admin");
  if (!dir) throw new Conflict("No GitOps repository is configured: set POLICYPLANE_GITOPS_DIR to a local folder for it.");
  const active = await ctx.db
    .select({ id: clusters.id, name: clusters.name })
    .from(clusters)
    .leftJoin(clusterProfiles, eq(clusterProfiles.clusterId, clusters.id))
    .where(isNull(clusterProfiles.retiredAt))
    .orderBy(clusters.name);
  // One instant for every cluster: each exception is in all of them or in none.
  const at = serverNow();
  const rendered: { name: string; release: number | null; objects: ObservedObject[] }[] = [];
  for (const c of active) {
    const render = await renderInputFor(ctx.db, c, at);
    const { desired, errors } = await runEngine("desiredObjects", render);
    if (errors.length > 0)
      throw new Conflict(`Release ${render?.release} does not compile for ${c.name}; nothing was exported: ${errors.join("; ")}`);
    // With a staged change's versions, audit-only where the cluster's CNI has such objects (Calico), beside what is enforced.
    rendered.push({ name: c.name, release: render ? Number(render.release) : null, objects: desired });
  }

  await fs.mkdir(dir, { recursive: true });
  const branch = remote?.branch ?? "main";
  if (!existsSync(path.join(dir, ".git"))) await git.init({ fs, dir, defaultBranch: branch });
  // The remote's branch first, so the commit goes on top of it. Unreachable: the commit is made
  // locally all the same, the push is reported as failed, and the next export rebuilds it on the tip.
  let syncError: string | null = null;
  if (remote)
    await syncFromRemote(dir, remote).catch((error: unknown) => {
      syncError = describeRemoteError(remote, error);
    });
  await fs.rm(path.join(dir, "clusters"), { recursive: true, force: true });
  for (const c of rendered) {
    const root = path.join(dir, "clusters", c.name);
    const files = c.objects.map((o) => ({ file: fileOf(o), text: stringify(o, { lineWidth: 0 }) }));
    for (const f of files) {
      await fs.mkdir(path.dirname(path.join(root, f.file)), { recursive: true });
      await fs.writeFile(path.join(root, f.file), f.text);
    }
    await fs.mkdir(root, { recursive: true });
    const kustomization = {
      apiVersion: "kustomize.config.k8s.io/v1beta1",
      kind: "Kustomization",
      resources: files.map((f) => f.file).sort(),
    };
    await fs.writeFile(
      path.join(root, "kustomization.yaml"),
      `# Rendered by Policyplane from release ${c.release ?? "(none)"}\n${stringify(kustomization)}`,
    );
  }

  // Stage exactly the difference: new and changed files added, vanished ones removed.
  const matrix = await git.statusMatrix({ fs, dir, filepaths: ["clusters"] });
  const changed = matrix.filter(([, head, work, stage]) => !(head === 1 && work === 1 && stage === 1));
  const summary = rendered.map((c) => ({ name: c.name, release: c.release, objects: c.objects.length }));
  const push = async (): Promise<PushOutcome | null> => {
    if (!remote) return null;
    if (syncError !== null) return { url: remote.url, branch: remote.branch, pushed: false, error: syncError };
    const outcome = await pushToRemote(dir, remote);
    if (!outcome.pushed) console.error(`GitOps push failed: ${outcome.error}`);
    return outcome;
  };
  if (changed.length === 0) {
    // Nothing new, but a commit an earlier push failed to deliver still goes out.
    const unpushed = remote !== null && (syncError !== null || (await unpushedCommit(dir, branch)) !== null);
    const outcome = unpushed ? await push() : null;
    if (outcome)
      await withTransaction(ctx, async (tx) => {
        // A retry while the remote stays down is no new event; its start and its end are.
        const recorded = await recordDelivery(tx, { dir, outcome, exported: rendered });
        if (recorded === null && outcome.pushed)
          await recordAudit(tx, {
            action: "gitops.pushed",
            targetType: "gitops",
            targetId: outcome.url,
            targetLabel: `GitOps remote ${outcome.url}`,
            after: { dir, ...outcome },
          });
      });
    return { commit: null, clusters: summary, push: outcome };
  }
  for (const [filepath, , work] of changed) {
    if (work === 0) await git.remove({ fs, dir, filepath });
    else await git.add({ fs, dir, filepath });
  }

  const numbers = [...new Set(rendered.flatMap((c) => (c.release === null ? [] : [c.release])))].sort((a, b) => a - b);
  const made = numbers.length
    ? await ctx.db
        .select({ number: releases.number, title: releases.title, change: changeRequests.number })
        .from(releases)
        .leftJoin(changeRequests, eq(changeRequests.id, releases.changeRequestId))
        .where(inArray(releases.number, numbers))
    : [];
  const headline = numbers.length ? `Release ${numbers.join(", ")} for ${rendered.length} cluster(s)` : "No release: empty desired state";
  const body = [
    ...made.map((r) => `release ${r.number}: ${r.title}${r.change !== null ? ` (change request #${r.change})` : ""}`),
    ...rendered.map((c) => `${c.name}: release ${c.release ?? "none"}, ${c.objects.length} object(s)`),
  ].join("\n");
  const message = reason ? `${reason}\n\n${headline}\n${body}\n` : `${headline}\n\n${body}\n`;
  const commit = await git.commit({ fs, dir, message, author: AUTHOR });
  const outcome = await push();
  await withTransaction(ctx, async (tx) => {
    if (outcome) await recordDelivery(tx, { dir, outcome, exported: rendered });
    await recordAudit(tx, {
      action: "gitops.exported",
      targetType: "gitops",
      targetId: commit,
      targetLabel: `GitOps commit ${commit.slice(0, 12)}`,
      after: {
        dir,
        ...(reason ? { reason } : {}),
        releases: numbers,
        clusters: summary,
        ...(outcome ? { push: outcome } : {}),
      },
    });
  });
  return { commit, clusters: summary, push: outcome };
}

/** The local branch's head when the remote-tracking branch (as last fetched) does not hold it yet. */
async function unpushedCommit(dir: string, branch: string): Promise<string | null> {
  const resolve = (ref: string) => git.resolveRef({ fs, dir, ref }).catch(() => null);
  const head = await resolve(`refs/heads/${branch}`);
  const remote = await resolve(`refs/remotes/origin/${branch}`);
  return head !== null && head !== remote ? head : null;
}
