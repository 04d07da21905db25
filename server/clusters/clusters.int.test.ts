// Clusters (issue 16): admins register, edit and retire clusters (authorised,
// audited); observed state comes over REST or the console, each bad object
// reported by its place in the list; drift against the cluster's release,
// compiled for it: missing, unmanaged and modified with a field diff that
// ignores what the API server sets.
import { execFileSync, spawnSync } from "node:child_process";
import fs, { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { TRPCError } from "@trpc/server";
import git from "isomorphic-git";
import { and, eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { auditEvents, clusterDrifts, clusters, releaseClusterRollouts, releases } from "@/db/schema";
import type { ObservedObject } from "@/db/schema/clusters";
import { testDatabaseKind } from "@/db/testing";
import { createApiApp } from "@/server/api/app";
import { exportGitOps } from "@/server/clusters/gitops";
import { callerFor, demoActor, DEMO_PEOPLE } from "@/server/testing/actors";
import { useSeededDatabase } from "@/server/testing/database";
import { paymentsEgressYaml } from "@/server/testing/policies";
import { releaseToCanary } from "@/server/testing/releases";

const CLUSTER = "staging-eu-1";

describe(`clusters, observed state and drift on ${testDatabaseKind()}`, () => {
  const database = useSeededDatabase();
  const db = () => database().db;
  const as = (email: string) => callerFor(db(), email);

  async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string }> {
    const error = await p.then(
      () => null,
      (e: unknown) => e,
    );
    if (!(error instanceof TRPCError)) throw new Error(`expected a refusal, got ${String(error)}`);
    return { code: error.code, message: error.message };
  }

  let token: string;
  let desired: ObservedObject[];
  const api = () => createApiApp(async () => db());
  const post = (path: string, body: string, bearer = token, type = "application/yaml") =>
    api().request(`http://localhost/api/v1${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${bearer}`, "content-type": type },
      body,
    });

  beforeAll(async () => {
    // One release, rendered for the canary wave (staging-eu-1).
    const { release } = await releaseToCanary(db(), "drift-egress");
    const admin = await as(DEMO_PEOPLE.admin);
    ({ token } = await admin.settings.createToken({
      name: "kubectl upload",
      role: "admin",
      tenantId: null,
      scopes: ["observed-state", "manifests"],
      expiresInDays: 1,
    }));
    const res = await api().request(`http://localhost/api/v1/clusters/${CLUSTER}/desired`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain(`from release ${release}`);
    desired = parseAllDocuments(text).map((d) => d.toJSON() as ObservedObject);
  });

  it("renders the cluster's desired objects from the release rendered for it", () => {
    expect(desired.length).toBeGreaterThanOrEqual(3);
    expect(desired.map((o) => o.metadata.annotations).every((a) => a && typeof a === "object")).toBe(true);
  });

  it("keeps the good objects of an upload, reports the bad one by its place in the list, and finds drift of every kind", async () => {
    const [gone, changed, ...same] = desired;
    // What the API server adds to what it stores must not count as drift.
    const served = (o: ObservedObject, i: number): ObservedObject => ({
      ...o,
      metadata: {
        ...o.metadata,
        uid: `uid-${i}`,
        resourceVersion: String(100 + i),
        generation: 3,
        creationTimestamp: "2026-01-01T00:00:00Z",
        managedFields: [{ manager: "kubectl" }],
        annotations: { ...(o.metadata.annotations as object), "kubectl.kubernetes.io/last-applied-configuration": "{}" },
      },
      status: { conditions: [] },
    });
    const edited = structuredClone(changed!);
    (edited.metadata as { labels?: Record<string, string> }).labels = {
      ...((edited.metadata as { labels?: Record<string, string> }).labels ?? {}),
      "edited-by": "hand",
    };
    const allowAll = {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "allow-all-hotfix", namespace: "payments", uid: "x" },
      spec: { podSelector: {}, ingress: [{}], policyTypes: ["Ingress"] },
    };
    const namespace = { apiVersion: "v1", kind: "Namespace", metadata: { name: "payments" } };
    const items = [...same.map(served), { apiVersion: "v1", metadata: { name: "no-kind" } }, served(edited, 99), allowAll, namespace];
    const body = JSON.stringify({ apiVersion: "v1", kind: "List", items });
    const res = await post(`/clusters/${CLUSTER}/observed`, body, token, "application/json");
    expect(res.status).toBe(200);
    const answer = await res.json();
    expect(answer).toMatchObject({
      cluster: CLUSTER,
      kept: items.length - 1,
      rejectedCount: 1,
      rejected: [{ index: same.length, message: expect.stringContaining("kind is missing") }],
      drift: { missing: 1, unmanaged: 1, modified: 1 },
    });
    const drift = await (await as(DEMO_PEOPLE.viewer)).clusters.drift({ name: CLUSTER });
    const byType = Object.fromEntries(drift.drifts.map((d) => [d.type, d]));
    expect(byType.missing).toMatchObject({ kind: gone!.kind, name: gone!.metadata.name, observed: null });
    expect(byType.unmanaged).toMatchObject({ kind: "NetworkPolicy", namespace: "payments", name: "allow-all-hotfix", desired: null });
    expect((byType.unmanaged!.observed!.metadata as Record<string, unknown>).uid).toBeUndefined();
    // Effects from the engine: the hand-applied allow-all opens paths into payments; a label on a policy changes none.
    expect(byType.unmanaged!.effect!.openedCount).toBeGreaterThan(0);
    expect(byType.unmanaged!.effect!.opened.every((p) => / → payments\//.test(p))).toBe(true);
    expect(byType.unmanaged!.effect!.closedCount).toBe(0);
    expect(byType.modified!.effect).toEqual({ opened: [], closed: [], openedCount: 0, closedCount: 0 });
    expect(byType.missing!.effect).not.toBeNull();
    expect(byType.modified).toMatchObject({
      name: changed!.metadata.name,
      diff: [{ path: "metadata.labels.edited-by", desired: null, observed: "hand" }],
    });
    expect(drift.observed).toMatchObject({ objects: items.length - 1, rejected: [{ index: same.length }] });
    const overview = await (await as(DEMO_PEOPLE.author)).clusters.overview();
    const row = overview.find((c) => c.name === CLUSTER)!;
    expect(row.drift).toMatchObject({ total: 3, missing: 1, unmanaged: 1, modified: 1 });
    expect(row.lastContactAt).toBeInstanceOf(Date);
    expect(row.currentRelease).toMatchObject({ status: "rendered" });

    // The same drift seen again keeps its age; a drift put right goes.
    const [before] = await db().select().from(clusterDrifts).where(eq(clusterDrifts.type, "unmanaged"));
    const again = await post(
      `/clusters/${CLUSTER}/observed`,
      JSON.stringify({ kind: "List", apiVersion: "v1", items: [...desired, allowAll] }),
    );
    expect(await again.json()).toMatchObject({
      kept: desired.length + 1,
      rejectedCount: 0,
      drift: { missing: 0, unmanaged: 1, modified: 0 },
    });
    const after = await db().select().from(clusterDrifts).where(eq(clusterDrifts.clusterId, before!.clusterId));
    expect(after.map((d) => d.type)).toEqual(["unmanaged"]);
    expect(after[0]!.firstSeenAt).toEqual(before!.firstSeenAt);
    const [cluster] = await db().select().from(clusters).where(eq(clusters.name, CLUSTER));
    const events = await db()
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, "cluster.observed_state"), eq(auditEvents.targetId, cluster!.id)));
    expect(events).toHaveLength(2);
  });

  it("answers an upload with nothing good in it, an unknown cluster, another cluster's token and a too-large body with their errors", async () => {
    const bad = await post(`/clusters/${CLUSTER}/observed`, "items: [\n  - 1\n  - kind: [\n");
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: "InvalidInput", field: "yaml" });
    const unknown = await post("/clusters/no-such-cluster/observed", "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n");
    expect(unknown.status).toBe(404);
    const admin = await as(DEMO_PEOPLE.admin);
    const other = (await admin.org.clusters()).find((c) => c.name !== CLUSTER)!;
    const { token: otherAgent } = await admin.settings.createToken({
      name: `${other.name} agent`,
      role: "admin",
      tenantId: null,
      scopes: ["observed-state"],
      clusterId: other.id,
      expiresInDays: 1,
    });
    const elsewhere = await post(`/clusters/${CLUSTER}/observed`, "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n", otherAgent);
    expect(elsewhere.status).toBe(403);
    expect(await elsewhere.json()).toMatchObject({ message: `This token speaks for another cluster, not "${CLUSTER}".` });
    const big = await post(`/clusters/${CLUSTER}/observed`, `# ${"x".repeat(11 * 1024 * 1024)}\n`);
    expect(big.status).toBe(413);
  });

  it("adopts a hand-applied policy into a draft change request of its tenant's author, refuses a missing one and a viewer", async () => {
    const allowAll = {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "allow-all-hotfix", namespace: "payments" },
      spec: { podSelector: {}, ingress: [{}], policyTypes: ["Ingress"] },
    };
    const res = await post(
      `/clusters/${CLUSTER}/observed`,
      JSON.stringify({ kind: "List", apiVersion: "v1", items: [...desired.slice(1), allowAll] }),
    );
    expect(await res.json()).toMatchObject({ drift: { missing: 1, unmanaged: 1, modified: 0 } });
    const author = await as(DEMO_PEOPLE.author);
    const { drifts } = await author.clusters.drift({ name: CLUSTER });
    const unmanaged = drifts.find((d) => d.type === "unmanaged")!;
    const missing = drifts.find((d) => d.type === "missing")!;

    expect(await refusal((await as(DEMO_PEOPLE.viewer)).clusters.adoptDrift({ name: CLUSTER, driftId: unmanaged.id }))).toMatchObject({
      code: "FORBIDDEN",
    });
    expect(await refusal(author.clusters.adoptDrift({ name: CLUSTER, driftId: missing.id }))).toMatchObject({
      code: "CONFLICT",
      message: expect.stringContaining("nothing to adopt"),
    });

    const adopted = await author.clusters.adoptDrift({ name: CLUSTER, driftId: unmanaged.id });
    expect(adopted).toMatchObject({ state: "draft", policies: ["payments-allow-all-hotfix"], notImported: [] });
    const change = await author.changes.get({ number: adopted.number });
    expect(change.title).toBe(`Adopt unmanaged NetworkPolicy payments/allow-all-hotfix from ${CLUSTER}`);
    const [cluster] = await db().select().from(clusters).where(eq(clusters.name, CLUSTER));
    const [event] = await db()
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, "cluster.drift_adopted"), eq(auditEvents.targetId, cluster!.id)));
    expect(event!.after).toMatchObject({ changeRequest: adopted.number, type: "unmanaged", policies: ["payments-allow-all-hotfix"] });

    // Importing the whole cluster takes only what Policyplane does not render (its own objects carry its
    // label): here the hand-applied object again, which the adoption proposes already.
    expect(await refusal(author.clusters.importCluster({ name: CLUSTER }))).toMatchObject({
      code: "CONFLICT",
      message: `Version 1 of payments-allow-all-hotfix is already proposed in change #${adopted.number}.`,
    });
  });

  const kubectl = spawnSync("kubectl", ["version", "--client"], { encoding: "utf8" }).status === 0;

  it("exports every cluster's desired state to a Git repository in one commit naming the release, and commits nothing when nothing changed", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "policyplane-gitops-"));
    const ctx = { db: db(), actor: await demoActor(db(), DEMO_PEOPLE.admin), requestId: "gitops-test" };
    await expect(exportGitOps({ ctx: { ...ctx, actor: await demoActor(db(), DEMO_PEOPLE.author) }, dir })).rejects.toThrow(/admin role/);
    const first = await exportGitOps({ ctx, dir });
    expect(first.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(first.clusters.map((c) => c.name)).toEqual(expect.arrayContaining([CLUSTER, "prod-eu-1", "prod-us-1"]));
    const [release] = await db()
      .select()
      .from(releases)
      .where(eq(releases.number, first.clusters.find((c) => c.name === CLUSTER)!.release!));
    const log = await git.log({ fs, dir });
    expect(log).toHaveLength(1);
    expect(log[0]!.commit.message).toContain(`Release ${release!.number}`);
    expect(log[0]!.commit.message).toMatch(/change request #\d+/);
    const folder = path.join(dir, "clusters", CLUSTER);
    expect(fs.readFileSync(path.join(folder, "kustomization.yaml"), "utf8")).toContain("kind: Kustomization");
    expect(first.clusters.find((c) => c.name === CLUSTER)!.objects).toBe(desired.length);
    if (kubectl) {
      // kubectl kustomize builds the folder into exactly the desired objects.
      const built = parseAllDocuments(execFileSync("kubectl", ["kustomize", folder], { encoding: "utf8" })).map(
        (d) => d.toJSON() as ObservedObject,
      );
      expect(built.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(desired.map((o) => `${o.kind}/${o.metadata.name}`).sort());
    } else console.warn("kubectl is not installed: the kustomize build of the exported folders is not checked");
    const again = await exportGitOps({ ctx, dir });
    expect(again.commit).toBeNull();
    expect(await git.log({ fs, dir })).toHaveLength(1);
    const [event] = await db().select().from(auditEvents).where(eq(auditEvents.action, "gitops.exported"));
    expect(event).toMatchObject({ targetId: first.commit });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("lets admins alone register, edit and retire clusters, each audited; a retired cluster takes no upload and no new rollout", async () => {
    const admin = await as(DEMO_PEOPLE.admin);
    const fields = {
      region: "eu-north-1",
      environment: "development" as const,
      labels: { wave: "9" },
      cni: "cilium" as const,
      policyApi: "cnp-v1alpha2" as const,
      istio: true,
    };
    expect((await refusal((await as(DEMO_PEOPLE.author)).clusters.register({ name: "dev-north-1", ...fields }))).code).toBe("FORBIDDEN");
    await admin.clusters.register({ name: "dev-north-1", ...fields });
    expect((await refusal(admin.clusters.register({ name: "dev-north-1", ...fields }))).message).toMatch(/registered already/);
    let row = (await admin.clusters.overview()).find((c) => c.name === "dev-north-1")!;
    expect(row).toMatchObject({
      region: "eu-north-1",
      cni: "cilium",
      policyApi: "cnp-v1alpha2",
      istio: true,
      labels: { wave: "9" },
      retiredAt: null,
    });
    expect((await refusal((await as(DEMO_PEOPLE.viewer)).clusters.edit({ name: "dev-north-1", ...fields }))).code).toBe("FORBIDDEN");
    await admin.clusters.edit({ name: "dev-north-1", ...fields, cni: "calico", policyApi: "anp" });
    row = (await admin.clusters.overview()).find((c) => c.name === "dev-north-1")!;
    expect(row).toMatchObject({ cni: "calico", policyApi: "anp" });
    await admin.clusters.retire({ name: "dev-north-1" });
    expect((await refusal(admin.clusters.retire({ name: "dev-north-1" }))).code).toBe("CONFLICT");
    expect(
      (
        await refusal(
          admin.clusters.uploadObserved({ name: "dev-north-1", yaml: "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n" }),
        )
      ).message,
    ).toMatch(/retired/);
    expect((await refusal(admin.clusters.edit({ name: "nope-1", ...fields }))).code).toBe("NOT_FOUND");
    const [cluster] = await db().select().from(clusters).where(eq(clusters.name, "dev-north-1"));
    const events = await db().select().from(auditEvents).where(eq(auditEvents.targetId, cluster!.id));
    expect(events.map((e) => e.action).sort()).toEqual(["cluster.edited", "cluster.registered", "cluster.retired"]);
    expect(events.find((e) => e.action === "cluster.edited")!.before).toMatchObject({ cni: "cilium", policyApi: "cnp-v1alpha2" });
    // The next release plans no rollout to the retired cluster.
    const author = await as(DEMO_PEOPLE.author);
    await author.policies.saveDraft({
      policyName: null,
      baseVersion: null,
      yaml: paymentsEgressYaml("after-retire", { port: 8443 }),
      message: "",
    });
    const { number } = await author.policies.proposeChange({ title: "after retire", description: "", policies: ["after-retire"] });
    const { contentHash } = await author.workflow.review({ number });
    await (await as(DEMO_PEOPLE.security)).workflow.approve({ number, contentHash });
    await (await as(DEMO_PEOPLE.paymentsCommittee)).workflow.approve({ number, contentHash });
    const { release } = await admin.workflow.release({ number });
    const [r] = await db().select().from(releases).where(eq(releases.number, release));
    const planned = await db().select().from(releaseClusterRollouts).where(eq(releaseClusterRollouts.releaseId, r!.id));
    expect(planned.map((p) => p.clusterName)).not.toContain("dev-north-1");
    expect(planned.length).toBeGreaterThan(0);
  });
});
