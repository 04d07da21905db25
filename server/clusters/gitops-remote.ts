import "server-only";
// The GitOps export's remote (issue 16 §4): the local repository follows a
// branch of an HTTPS Git server (isomorphic-git's Node HTTP client, no `git`
// binary). Before committing, the local branch is brought onto the remote's
// tip; after committing it is pushed. A push the server rejects because the
// branch moved meanwhile is answered by fetching, rebuilding the commit on the
// new tip (their files kept, our clusters/ folder put in) and pushing once
// more. Credentials come from the environment only: they go to the server in
// the Authorization header and are never logged, stored or put in a message.
import fs from "node:fs";
import git, { Errors } from "isomorphic-git";
import http from "isomorphic-git/http/node";

export type GitOpsRemote = {
  url: string;
  branch: string;
  username?: string;
  token?: string;
};

export type PushOutcome =
  { url: string; branch: string; pushed: true; rebuilt: boolean } | { url: string; branch: string; pushed: false; error: string };

const REMOTE = "origin";
const CLUSTERS = "clusters";

function access(remote: GitOpsRemote) {
  // isomorphic-git asks once, and a second time after a 401 only through onAuthFailure, which is left
  // out on purpose: the same credentials would fail again, and a 401 then surfaces as an HttpError.
  const onAuth = () => (remote.token ? { username: remote.username ?? "policyplane", password: remote.token } : { cancel: true });
  return { fs, http, onAuth };
}

/** A message about the remote that names what to change and never carries the token. */
export function describeRemoteError(remote: GitOpsRemote, error: unknown): string {
  const where = `GitOps remote ${remote.url} (branch ${remote.branch})`;
  let text: string;
  if (error instanceof Errors.HttpError && (error.data.statusCode === 401 || error.data.statusCode === 403))
    text = `${where} refused the credentials (HTTP ${error.data.statusCode}): check POLICYPLANE_GITOPS_USERNAME and POLICYPLANE_GITOPS_TOKEN`;
  else if (error instanceof Errors.UserCanceledError)
    text = `${where} asks for credentials: set POLICYPLANE_GITOPS_USERNAME and POLICYPLANE_GITOPS_TOKEN`;
  else if (error instanceof Errors.HttpError) text = `${where} answered HTTP ${error.data.statusCode} ${error.data.statusMessage}`;
  else if (error instanceof Errors.PushRejectedError || error instanceof Errors.GitPushError)
    text = `${where} rejected the push again after it was rebuilt on the branch's new tip: ${error.message}`;
  else text = `${where} could not be reached: ${error instanceof Error ? error.message : String(error)}`;
  return remote.token ? text.split(remote.token).join("***") : text;
}

/** The remote branch's tip, fetched into the local repository (null: the branch does not exist there yet). */
async function fetchTip(dir: string, remote: GitOpsRemote): Promise<string | null> {
  const ref = `refs/heads/${remote.branch}`;
  const refs = await git.listServerRefs({ ...access(remote), url: remote.url, prefix: ref });
  const tip = refs.find((r) => r.ref === ref)?.oid ?? null;
  if (tip === null) return null;
  await git.fetch({ ...access(remote), dir, remote: REMOTE, ref: remote.branch, singleBranch: true, tags: false });
  return tip;
}

async function localHead(dir: string, branch: string): Promise<string | null> {
  try {
    return await git.resolveRef({ fs, dir, ref: `refs/heads/${branch}` });
  } catch (error) {
    if (error instanceof Errors.NotFoundError) return null;
    throw error;
  }
}

async function treeOf(dir: string, commit: string) {
  return (await git.readCommit({ fs, dir, oid: commit })).commit.tree;
}

/**
 * Puts the local branch on the remote tip: adopted when the local branch has no commit yet, left
 * as it is when it already contains the tip, and otherwise its last commit rebuilt on the tip (the
 * tip's tree with our clusters/ folder in place of theirs; nothing at all when that changes
 * nothing). The working folder and the index follow. Returns whether a commit was rebuilt.
 */
async function onTopOf(dir: string, branch: string, tip: string): Promise<boolean> {
  const head = await localHead(dir, branch);
  if (head === tip) return false;
  if (head !== null && (await git.isDescendent({ fs, dir, oid: head, ancestor: tip, depth: -1 }))) return false;
  let next = tip;
  let rebuilt = false;
  if (head !== null) {
    const ours = await git.readCommit({ fs, dir, oid: head });
    const theirs = await git.readTree({ fs, dir, oid: await treeOf(dir, tip) });
    const clusters = (await git.readTree({ fs, dir, oid: ours.commit.tree })).tree.find((e) => e.path === CLUSTERS);
    const tree = await git.writeTree({
      fs,
      dir,
      tree: [...theirs.tree.filter((e) => e.path !== CLUSTERS), ...(clusters ? [clusters] : [])],
    });
    if (tree !== theirs.oid) {
      next = await git.writeCommit({ fs, dir, commit: { ...ours.commit, tree, parent: [tip] } });
      rebuilt = true;
    }
  }
  await git.writeRef({ fs, dir, ref: `refs/heads/${branch}`, value: next, force: true });
  await git.checkout({ fs, dir, ref: branch, force: true });
  return rebuilt;
}

/** Before the export writes anything: the local repository follows the remote branch. Throws the remote's error. */
export async function syncFromRemote(dir: string, remote: GitOpsRemote): Promise<void> {
  await git.addRemote({ fs, dir, remote: REMOTE, url: remote.url, force: true });
  const tip = await fetchTip(dir, remote);
  if (tip !== null) await onTopOf(dir, remote.branch, tip);
}

/**
 * Pushes the local branch. When the server refuses it because its branch moved on, the commit is
 * rebuilt on the new tip and pushed once more. Never throws: a failure is returned with its reason,
 * and the local commit stays on the local branch to be pushed by the next export.
 */
export async function pushToRemote(dir: string, remote: GitOpsRemote): Promise<PushOutcome> {
  const where = { url: remote.url, branch: remote.branch };
  const push = () => git.push({ ...access(remote), dir, remote: REMOTE, ref: remote.branch, remoteRef: remote.branch });
  const refused = (error: unknown) =>
    (error instanceof Errors.PushRejectedError && error.data.reason === "not-fast-forward") || error instanceof Errors.GitPushError;
  try {
    await git.addRemote({ fs, dir, remote: REMOTE, url: remote.url, force: true });
    try {
      await push();
      return { ...where, pushed: true, rebuilt: false };
    } catch (error) {
      if (!refused(error)) throw error;
    }
    const tip = await fetchTip(dir, remote);
    const rebuilt = tip !== null && (await onTopOf(dir, remote.branch, tip));
    await push();
    return { ...where, pushed: true, rebuilt };
  } catch (error) {
    return { ...where, pushed: false, error: describeRemoteError(remote, error) };
  }
}
