// The GitOps export pushes to a remote (issue 16 §4): a real bare repository
// served over HTTP by `git http-backend` (run as CGI by a node:http server with
// basic auth), its branch moved by someone else between our fetch and our push,
// and a wrong token. Checked with the git CLI on the bare repository.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import fs, { mkdtempSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import git from "isomorphic-git";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEvents, clusters } from "@/db/schema";
import { testDatabaseKind } from "@/db/testing";
import { exportGitOps } from "@/server/clusters/gitops";
import { desiredReleaseOf } from "@/server/clusters/observed";
import { callerFor, demoActor, DEMO_PEOPLE } from "@/server/testing/actors";
import { useSeededDatabase } from "@/server/testing/database";
import { releaseToCanary } from "@/server/testing/releases";

const USER = "gitops-bot";
const TOKEN = "s3cret-token-0123456789";
const CLUSTER = "staging-eu-1";

const execPath = spawnSync("git", ["--exec-path"], { encoding: "utf8" });
const backend = execPath.status === 0 ? path.join(execPath.stdout.trim(), "git-http-backend") : null;
const unavailable =
  backend === null ? "the git CLI is not installed" : !fs.existsSync(backend) ? `git http-backend is not at ${backend}` : null;
if (unavailable) console.warn(`Skipped: the GitOps push to an HTTP remote is not tested, because ${unavailable}.`);

const gitCli = (args: string[], cwd?: string) =>
  execFileSync("git", ["-c", "user.name=Someone Else", "-c", "user.email=else@example.com", ...args], { cwd, encoding: "utf8" }).trim();

/** `git http-backend` behind basic auth; `beforePush` runs once, before the first push reaches the repository. */
function serveRepositories(root: string, hooks: { beforePush?: () => void }): Promise<Server> {
  const expected = `Basic ${Buffer.from(`${USER}:${TOKEN}`).toString("base64")}`;
  const server = createServer((req, res) => {
    if (req.headers.authorization !== expected) {
      res.writeHead(401, { "www-authenticate": 'Basic realm="git"' }).end("unauthorized");
      return;
    }
    const url = new URL(req.url ?? "/", "http://localhost");
    const pushing = url.pathname.endsWith("/git-receive-pack");
    if (pushing && hooks.beforePush) {
      const hook = hooks.beforePush;
      hooks.beforePush = undefined;
      hook();
    }
    const cgi = spawn(backend!, [], {
      env: {
        NODE_ENV: "test",
        PATH: process.env.PATH,
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: "1",
        REMOTE_USER: USER,
        REQUEST_METHOD: req.method,
        PATH_INFO: url.pathname,
        QUERY_STRING: url.search.slice(1),
        CONTENT_TYPE: req.headers["content-type"] ?? "",
        ...(req.headers["content-length"] ? { CONTENT_LENGTH: req.headers["content-length"] } : {}),
        ...(req.headers["content-encoding"] ? { HTTP_CONTENT_ENCODING: req.headers["content-encoding"] } : {}),
        GIT_PROTOCOL: String(req.headers["git-protocol"] ?? ""),
      },
    });
    req.pipe(cgi.stdin);
    // CGI answer: header lines, a blank line, the body.
    let head = Buffer.alloc(0);
    let headerDone = false;
    cgi.stdout.on("data", (chunk: Buffer) => {
      if (headerDone) return void res.write(chunk);
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) return;
      headerDone = true;
      let status = 200;
      for (const line of head.subarray(0, end).toString("latin1").split("\r\n")) {
        const [name, ...rest] = line.split(":");
        const value = rest.join(":").trim();
        if (name!.toLowerCase() === "status") status = Number.parseInt(value, 10);
        else res.setHeader(name!, value);
      }
      res.writeHead(status);
      res.write(head.subarray(end + 4));
    });
    cgi.stdout.on("end", () => res.end());
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

describe.skipIf(unavailable !== null)(`GitOps export pushed to an HTTP remote on ${testDatabaseKind()}`, () => {
  const database = useSeededDatabase();
  const db = () => database().db;
  let root: string;
  let bare: string;
  let server: Server;
  const hooks: { beforePush?: () => void } = {};
  const remote = (token = TOKEN) => ({
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/ops.git`,
    branch: "main",
    username: USER,
    token,
  });
  /** Someone else clones the bare repository, changes it with `edit` and pushes to main. */
  const pushElsewhere = (clone: string, message: string, edit: (work: string) => void) => {
    const work = path.join(root, clone);
    gitCli(["clone", bare, work]);
    edit(work);
    gitCli(["add", "-A"], work);
    gitCli(["commit", "-m", message], work);
    gitCli(["push", "origin", "HEAD:main"], work);
  };
  const admin = async () => ({ db: db(), actor: await demoActor(db(), DEMO_PEOPLE.admin), requestId: "gitops-remote-test" });

  beforeAll(async () => {
    await releaseToCanary(db(), "gitops-remote");
    root = mkdtempSync(path.join(tmpdir(), "policyplane-remote-"));
    bare = path.join(root, "ops.git");
    gitCli(["init", "--bare", "-b", "main", bare]);
    gitCli(["config", "http.receivepack", "true"], bare);
    // Someone else's history, with a file outside clusters/ that the export must keep.
    pushElsewhere("seed", "Start the GitOps repository", (work) => fs.writeFileSync(path.join(work, "README.md"), "Managed by Argo CD\n"));
    server = await serveRepositories(root, hooks);
  });

  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    fs.rmSync(root, { recursive: true, force: true });
  });

  it("clones the remote branch, commits on top of it and pushes; when the branch moved meanwhile, rebuilds the commit on the new tip and pushes again", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "policyplane-gitops-"));
    // Between our fetch and our push another commit lands on main.
    hooks.beforePush = () =>
      pushElsewhere("other", "Note the sync window", (work) => fs.writeFileSync(path.join(work, "NOTES.md"), "Sync window: 02:00-04:00\n"));
    const result = await exportGitOps({ ctx: await admin(), dir, remote: remote() });
    expect(hooks.beforePush).toBeUndefined();
    expect(result.push).toMatchObject({ pushed: true, rebuilt: true });

    const tip = gitCli(["rev-parse", "main"], bare);
    expect(gitCli(["log", "-1", "--format=%s", "main~1"], bare)).toBe("Note the sync window");
    const message = gitCli(["log", "-1", "--format=%B", "main"], bare);
    expect(message).toMatch(/^Release \d+ for \d+ cluster\(s\)/);
    expect(message).toMatch(/change request #\d+/);
    expect(message).toContain(`${CLUSTER}: release`);
    const files = gitCli(["ls-tree", "-r", "--name-only", "main"], bare).split("\n");
    expect(files).toEqual(expect.arrayContaining(["README.md", "NOTES.md", `clusters/${CLUSTER}/kustomization.yaml`]));
    expect(gitCli(["show", `main:clusters/${CLUSTER}/kustomization.yaml`], bare)).toContain("kind: Kustomization");
    // The local repository is the pushed commit, checked out (their files included).
    expect(await git.resolveRef({ fs, dir, ref: "main" })).toBe(tip);
    expect(fs.readFileSync(path.join(dir, "NOTES.md"), "utf8")).toContain("Sync window");
    const [event] = await db()
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, "gitops.exported"), eq(auditEvents.targetId, result.commit!)));
    expect(event?.after).toMatchObject({ push: { pushed: true, rebuilt: true, branch: "main" } });
    expect(JSON.stringify(event?.after)).not.toContain(TOKEN);

    // Nothing changed: nothing committed, nothing pushed.
    const again = await exportGitOps({ ctx: await admin(), dir, remote: remote() });
    expect(again).toMatchObject({ commit: null, push: null });
    expect(gitCli(["rev-parse", "main"], bare)).toBe(tip);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("reports a wrong token clearly without the token, keeps the local commit, and delivers it on the next export", async () => {
    // Someone edits an exported file by hand: the next export puts the desired state back.
    pushElsewhere("hand-edit", "Edit by hand", (work) =>
      fs.appendFileSync(path.join(work, "clusters", CLUSTER, "kustomization.yaml"), "# edited by hand\n"),
    );
    const before = gitCli(["rev-parse", "main"], bare);
    const dir = mkdtempSync(path.join(tmpdir(), "policyplane-gitops-"));
    const wrong = "wrong-token-9876543210";
    const failed = await exportGitOps({ ctx: await admin(), dir, remote: remote(wrong) });
    expect(failed.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(failed.push).toMatchObject({ pushed: false });
    const error = failed.push && !failed.push.pushed ? failed.push.error : "";
    expect(error).toMatch(/GitOps remote http:\/\/127\.0\.0\.1:\d+\/ops\.git \(branch main\) refused the credentials \(HTTP 401\)/);
    expect(error).toContain("POLICYPLANE_GITOPS_TOKEN");
    expect(error).not.toContain(wrong);
    expect(gitCli(["rev-parse", "main"], bare)).toBe(before);
    // The commit is kept on the local branch.
    expect(await git.resolveRef({ fs, dir, ref: "main" })).toBe(failed.commit);
    const [event] = await db()
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, "gitops.exported"), eq(auditEvents.targetId, failed.commit!)));
    expect(event?.after).toMatchObject({ push: { pushed: false, error } });

    // With the right token the next export fetches the remote's branch and rebuilds the kept commit
    // on its tip (their README kept, the hand edit undone) and pushes it: nothing new to commit.
    const next = await exportGitOps({ ctx: await admin(), dir, remote: remote() });
    expect(next).toMatchObject({ commit: null, push: { pushed: true } });
    const delivered = gitCli(["rev-parse", "main"], bare);
    expect(gitCli(["rev-parse", "main~1"], bare)).toBe(before);
    expect(gitCli(["log", "-1", "--format=%B", "main"], bare)).toBe(
      (await git.readCommit({ fs, dir, oid: failed.commit! })).commit.message.trim(),
    );
    expect(gitCli(["show", `main:clusters/${CLUSTER}/kustomization.yaml`], bare)).not.toContain("edited by hand");
    expect(gitCli(["ls-tree", "-r", "--name-only", "main"], bare).split("\n")).toContain("README.md");
    expect(await git.resolveRef({ fs, dir, ref: "main" })).toBe(delivered);
    // The failed push opened an outage and this one closed it: one event each.
    const [recovered] = await db().select().from(auditEvents).where(eq(auditEvents.action, "gitops.push_recovered"));
    expect(recovered?.after).toMatchObject({ pushed: true, rebuilt: false });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("marks the canary's rollout failed with the reason while pushes fail, audits the outage once, and recovers on the next good push", async () => {
    const { release } = await releaseToCanary(db(), "gitops-outage");
    const caller = await callerFor(db(), DEMO_PEOPLE.admin);
    const canary = async () => (await caller.releases.rollout({ number: release }))!.waves[0]!.clusters.find((c) => c.cluster === CLUSTER)!;
    const onClustersPage = async () => (await caller.clusters.overview()).find((c) => c.name === CLUSTER)!;
    const events = async (action: string) =>
      (await db().select().from(auditEvents).where(eq(auditEvents.action, action))).filter((e) => e.targetId === remote().url);
    const failedBefore = (await events("gitops.push_failed")).length;
    const recoveredBefore = (await events("gitops.push_recovered")).length;
    expect(await canary()).toMatchObject({ status: "rendered", message: null });

    // The remote refuses the credentials: the export commits locally, the canary's rollout fails with the reason.
    const dir = mkdtempSync(path.join(tmpdir(), "policyplane-gitops-"));
    const first = await exportGitOps({ ctx: await admin(), dir, remote: remote("wrong-token-1111111111") });
    expect(first.push).toMatchObject({ pushed: false });
    const failed = await canary();
    expect(failed.status).toBe("failed");
    expect(failed.message).toMatch(/^the GitOps push failed: GitOps remote .* refused the credentials \(HTTP 401\)/);
    expect(failed.message).not.toContain("wrong-token-1111111111");
    expect((await onClustersPage()).latestRollout).toMatchObject({ number: release, status: "failed", message: failed.message });
    // The cluster should still run this release: drift is computed against it, and the next export pushes it.
    const [cluster] = await db().select().from(clusters).where(eq(clusters.name, CLUSTER));
    expect((await desiredReleaseOf(db(), cluster!.id))?.number).toBe(release);
    expect(await events("gitops.push_failed")).toHaveLength(failedBefore + 1);

    // Retries while the remote stays down (nothing new to commit) are no new audit event; the reason stays current.
    for (const token of ["wrong-token-2222222222", "wrong-token-3333333333"]) {
      const retry = await exportGitOps({ ctx: await admin(), dir, remote: remote(token) });
      expect(retry).toMatchObject({ commit: null, push: { pushed: false } });
    }
    expect(await events("gitops.push_failed")).toHaveLength(failedBefore + 1);
    expect(await canary()).toMatchObject({ status: "failed", message: failed.message });

    // The remote takes the push: the rollout is rendered again, and the recovery is audited once.
    const next = await exportGitOps({ ctx: await admin(), dir, remote: remote() });
    expect(next.push).toMatchObject({ pushed: true });
    expect(await canary()).toMatchObject({ status: "rendered", message: null });
    expect((await onClustersPage()).currentRelease).toMatchObject({ number: release, status: "rendered" });
    const recovered = await events("gitops.push_recovered");
    expect(recovered).toHaveLength(recoveredBefore + 1);
    expect(recovered.at(-1)!.before).toMatchObject({ error: expect.stringContaining("refused the credentials") });
    expect(await events("gitops.push_failed")).toHaveLength(failedBefore + 1);
    // A good push with nothing outstanding changes nothing and audits nothing.
    expect(await exportGitOps({ ctx: await admin(), dir, remote: remote() })).toMatchObject({ commit: null, push: null });
    expect(await events("gitops.push_recovered")).toHaveLength(recoveredBefore + 1);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("names an unreachable remote in the rollout's reason, and a cluster's own failure report is not undone by a good push", async () => {
    const { release } = await releaseToCanary(db(), "gitops-unreachable");
    const caller = await callerFor(db(), DEMO_PEOPLE.admin);
    const canary = async () => (await caller.releases.rollout({ number: release }))!.waves[0]!.clusters.find((c) => c.cluster === CLUSTER)!;
    const dir = mkdtempSync(path.join(tmpdir(), "policyplane-gitops-"));
    const away = { ...remote(), url: "http://127.0.0.1:1/ops.git" };
    const down = await exportGitOps({ ctx: await admin(), dir, remote: away });
    expect(down.push).toMatchObject({ pushed: false });
    expect((await canary()).message).toMatch(
      /^the GitOps push failed: GitOps remote http:\/\/127\.0\.0\.1:1\/ops\.git \(branch main\) could not be reached/,
    );
    // The cluster itself reports a failure: that one is the cluster's, and no push undoes it.
    await caller.releases.clusterStatus({
      number: release,
      cluster: CLUSTER,
      status: "failed",
      message: "webhook denied the object",
    });
    const back = await exportGitOps({ ctx: await admin(), dir, remote: remote() });
    expect(back.push).toMatchObject({ pushed: true });
    expect(await canary()).toMatchObject({ status: "failed", message: "webhook denied the object" });
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
