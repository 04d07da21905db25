// Staged change requests (issue 13 §11): reviewed like any change, released
// audit-only. Marking one staged voids its approvals as an edit does; its
// release moves no released version (the engine, graph and decisions never
// see it), carries its versions as staged, renders them as Calico staged
// policies on Calico clusters and as nothing (with the reason) elsewhere; a
// promotion is a new draft change with the same versions, approved as usual.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { and, eq } from "drizzle-orm";
import { describe, expect, it, beforeAll } from "vitest";
import { parseAllDocuments } from "yaml";
import { changeRequests, clusterProfiles, clusters, policies, releaseEntries, releases, releaseStagedEntries } from "@/db/schema";
import { testDatabaseKind } from "@/db/testing";
import { paymentsIngressYaml } from "@/server/testing/policies";
import { exportGitOps } from "@/server/clusters/gitops";
import { releasedDocuments } from "@/server/drafts/documents";
import { getStagedRender } from "@/server/releases/staged";
import { auditEventsAfter, auditHead } from "@/server/testing/audit-events";
import { callerFor, demoActor, DEMO_PEOPLE } from "@/server/testing/actors";
import { useSeededDatabase } from "@/server/testing/database";
import { trpcFailure as failure } from "@/server/testing/trpc";

const ADMIN = "alex.admin@acme.example";
const AUTHOR = "priya.payments@acme.example";
const SECURITY = "sam.security@acme.example";
const PAYMENTS_COMMITTEE = "dana.payments-committee@acme.example";

/** payments-api's ingress from checkout-api on one port: peers Calico's rules can say. */
const ingressYaml = (name: string, port: number) => paymentsIngressYaml(name, { port, description: "staged test" });

describe(`staged change requests on ${testDatabaseKind()}`, () => {
  const database = useSeededDatabase();
  const db = () => database().db;
  const as = (email: string) => callerFor(db(), email);

  /** A payments policy in force at v1 (port 8080), set as the demo seed sets its policies, and a draft v2 (port 9090) proposed. */
  async function proposedEdit(name: string) {
    const author = await as(AUTHOR);
    await author.policies.saveDraft({ policyName: null, baseVersion: null, yaml: ingressYaml(name, 8080), message: "" });
    await db().update(policies).set({ releasedVersion: 1 }).where(eq(policies.name, name));
    await author.policies.saveDraft({ policyName: name, baseVersion: 1, yaml: ingressYaml(name, 9090), message: "" });
    const { number } = await author.policies.proposeChange({ title: `stage ${name}`, description: "", policies: [name] });
    return { number, contentHash: (await author.workflow.review({ number })).contentHash };
  }
  async function approve(number: number) {
    const { contentHash } = await (await as(AUTHOR)).workflow.review({ number });
    await (await as(SECURITY)).workflow.approve({ number, contentHash, comment: "" });
    await (await as(PAYMENTS_COMMITTEE)).workflow.approve({ number, contentHash, comment: "" });
  }
  const policyRow = async (name: string) => (await db().select().from(policies).where(eq(policies.name, name)))[0]!;

  beforeAll(async () => {
    // One Calico cluster, one Cilium cluster, one plain (NetworkPolicy / ANP) cluster.
    const cni = { "staging-eu-1": "calico", "prod-eu-1": "cilium", "prod-us-1": "other" } as const;
    for (const [name, value] of Object.entries(cni)) {
      const [c] = await db().select({ id: clusters.id }).from(clusters).where(eq(clusters.name, name));
      await db()
        .insert(clusterProfiles)
        .values({ clusterId: c!.id, cni: value })
        .onConflictDoUpdate({ target: clusterProfiles.clusterId, set: { cni: value } });
    }
  });

  it("marks a change staged only for its author or an admin, from the hash they saw; the flag is in the content hash, so it voids approvals like an edit, audited", async () => {
    const name = "staged-flag";
    const { number, contentHash } = await proposedEdit(name);
    await (await as(SECURITY)).workflow.approve({ number, contentHash, comment: "" });
    expect((await failure((await as(SECURITY)).workflow.setStaged({ number, contentHash, staged: true }))).code).toBe("FORBIDDEN");
    const stale = await failure((await as(AUTHOR)).workflow.setStaged({ number, contentHash: "a".repeat(64), staged: true }));
    expect(stale.code).toBe("CONFLICT");
    expect(stale.message).toMatch(/changed by someone else/);

    const head = await auditHead(db());
    const staged = await (await as(AUTHOR)).workflow.setStaged({ number, contentHash, staged: true });
    expect(staged).toMatchObject({ staged: true, state: "in-review", voided: 1 });
    expect(staged.contentHash).not.toBe(contentHash);
    const review = await (await as(AUTHOR)).workflow.review({ number });
    expect(review.contentHash).toBe(staged.contentHash);
    expect(review.approvals).toEqual([expect.objectContaining({ by: SECURITY, voided: true })]);
    const [event] = (await auditEventsAfter(db(), head)).filter((e) => e.action === "change.edit");
    expect(event!.after).toMatchObject({ staged: true, contentHash: staged.contentHash, voidedApprovals: [SECURITY] });
    const timeline = await (await as(AUTHOR)).reviews.timeline({ number });
    expect(timeline.map((e) => e.summary)).toContainEqual(
      expect.stringMatching(/^marked it staged \(released audit-only, never enforced\).*voiding 1 approval$/),
    );
    // The view the approver had is stale now.
    expect((await failure((await as(PAYMENTS_COMMITTEE)).workflow.approve({ number, contentHash, comment: "" }))).code).toBe("CONFLICT");
    // Asking again for what it already is writes nothing; back to enforced is a new hash again, the unstaged one.
    expect(await (await as(AUTHOR)).workflow.setStaged({ number, contentHash: staged.contentHash, staged: true })).toMatchObject({
      voided: 0,
    });
    const back = await (await as(ADMIN)).workflow.setStaged({ number, contentHash: staged.contentHash, staged: false });
    expect(back.contentHash).toBe(contentHash);
    const [row] = await db().select().from(changeRequests).where(eq(changeRequests.number, number));
    expect(row).toMatchObject({ staged: false, contentHash });
    // The list and the change page show the flag.
    await (await as(AUTHOR)).workflow.setStaged({ number, contentHash, staged: true });
    expect((await (await as(AUTHOR)).changes.list()).find((c) => c.number === number)).toMatchObject({ staged: true });
    expect(await (await as(AUTHOR)).changes.get({ number })).toMatchObject({ staged: true });
    expect((await (await as(SECURITY)).reviews.queue()).items.find((c) => c.number === number)).toMatchObject({ staged: true });
  });

  it("releases a staged change without enforcing it, renders it audit-only on Calico and nothing elsewhere (saying why), and promotes it as a new draft change", async () => {
    const name = "staged-release";
    const proposed = await proposedEdit(name);
    const { contentHash } = await (await as(AUTHOR)).workflow.setStaged({ ...proposed, staged: true });
    expect(contentHash).not.toBe(proposed.contentHash);
    await approve(proposed.number);
    const before = await policyRow(name);
    const { release } = await (await as(ADMIN)).workflow.release({ number: proposed.number });

    // Nothing enforced: the released version stays v1, which every reader of the release (graph, decisions, simulator) takes.
    const after = await policyRow(name);
    expect(after.releasedVersion).toBe(1);
    expect(after.latestVersion).toBe(before.latestVersion);
    const inForce = (await releasedDocuments(db())).find((d) => d.name === name)!;
    expect(inForce.version).toBe(1);
    expect(JSON.stringify(inForce.document)).toMatch(/8080/);
    const [r] = await db().select().from(releases).where(eq(releases.number, release));
    expect(r!.staged).toBe(true);
    const [entry] = await db()
      .select()
      .from(releaseEntries)
      .where(and(eq(releaseEntries.releaseId, r!.id), eq(releaseEntries.policyId, after.id)));
    expect(entry).toMatchObject({ version: 1, changed: false });
    const staged = await db().select().from(releaseStagedEntries).where(eq(releaseStagedEntries.releaseId, r!.id));
    expect(staged.filter((s) => s.name === name)).toEqual([expect.objectContaining({ version: 2, changeRequestNumber: proposed.number })]);

    // Per cluster by its CNI: Calico gets the staged policy, Cilium and plain clusters nothing, each with the reason.
    const view = await (await as(AUTHOR)).releases.staged({ number: release });
    expect(view.entries.map((e) => e.name)).toContain(name);
    const calico = view.clusters.find((c) => c.cluster === "staging-eu-1")!;
    expect(calico.cni).toBe("calico");
    const objects = parseAllDocuments(calico.yaml).map(
      (d) => d.toJS() as { kind: string; metadata: { name: string; namespace?: string }; spec: Record<string, unknown> },
    );
    const mine = objects.find((o) => o.metadata.name === `default.${name}`)!;
    expect(mine).toMatchObject({ kind: "StagedNetworkPolicy", metadata: { namespace: "payments" } });
    expect(mine.spec).toMatchObject({
      selector: "app == 'payments-api'",
      types: ["Ingress"],
      ingress: [{ action: "Allow", protocol: "TCP", destination: { ports: [9090] }, source: { selector: "app == 'checkout-api'" } }],
    });
    const cilium = view.clusters.find((c) => c.cluster === "prod-eu-1")!;
    expect(cilium).toMatchObject({ cni: "cilium", objects: 0, yaml: "" });
    expect(cilium.notes.join(" ")).toMatch(/per endpoint, not per policy/);
    const plain = view.clusters.find((c) => c.cluster === "prod-us-1")!;
    expect(plain).toMatchObject({ cni: "other", objects: 0 });
    expect(plain.notes.join(" ")).toMatch(/no audit-only mode/);

    // Someone scoped to another tenant sees neither the payments policy nor its staged object.
    const checkout = (await (await as(ADMIN)).org.tenants()).find((t) => t.name === "checkout")!.id;
    const other = await getStagedRender({
      ctx: {
        db: db(),
        requestId: "staged-test",
        actor: {
          type: "user",
          id: "checkout-viewer",
          label: "checkout viewer",
          grants: [{ tenantId: checkout, role: "viewer", committeeFunction: null }],
        },
      },
      input: { number: release },
    });
    expect(other.entries.map((e) => e.name)).not.toContain(name);
    expect(other.hidden).toBeGreaterThanOrEqual(1);
    expect(other.clusters.map((c) => c.yaml).join("")).not.toContain(name);

    // The rollout renders them: the Calico cluster's status says how many staged objects it got.
    await (await as(ADMIN)).releases.rolloutNextWave({ number: release });
    const rollout = (await (await as(ADMIN)).releases.rollout({ number: release }))!;
    const wave1 = rollout.waves[0]!.clusters.find((c) => c.cluster === "staging-eu-1")!;
    expect(wave1).toMatchObject({
      status: "rendered",
      message: expect.stringMatching(/staged \(audit-only, not enforced\) Calico object/),
    });

    // The GitOps export writes the Calico cluster's staged objects beside its enforced ones; the enforced ones are unchanged.
    const dir = mkdtempSync(path.join(tmpdir(), "policyplane-staged-gitops-"));
    await exportGitOps({ ctx: { db: db(), actor: await demoActor(db(), DEMO_PEOPLE.admin), requestId: "staged-test" }, dir, remote: null });
    const written = readFileSync(
      path.join(dir, "clusters", "staging-eu-1", "payments", `stagednetworkpolicy-default.${name}.yaml`),
      "utf8",
    );
    expect(written).toMatch(/kind: StagedNetworkPolicy/);
    expect(written).toMatch(/- 9090/);
    expect(readFileSync(path.join(dir, "clusters", "staging-eu-1", "payments", `networkpolicy-${name}.yaml`), "utf8")).toMatch(
      /port: 8080/,
    );
    rmSync(dir, { recursive: true, force: true });

    // Promotion: a new draft change with the same version, from what is in force, not staged, linked.
    expect((await failure((await as(SECURITY)).workflow.promote({ number: proposed.number }))).code).toBe("FORBIDDEN");
    const promoted = await (await as(AUTHOR)).workflow.promote({ number: proposed.number });
    expect(promoted).toMatchObject({ state: "draft", promotedFrom: proposed.number });
    const [p] = await db().select().from(changeRequests).where(eq(changeRequests.number, promoted.number));
    expect(p).toMatchObject({
      staged: false,
      promotedFromId: (await db().select().from(changeRequests).where(eq(changeRequests.number, proposed.number)))[0]!.id,
    });
    const page = await (await as(AUTHOR)).changes.get({ number: promoted.number });
    expect(page.items).toEqual([expect.objectContaining({ name, fromVersion: 1, toVersion: 2 })]);
    expect(page.promotedFrom).toBe(proposed.number);
    expect((await (await as(AUTHOR)).changes.get({ number: proposed.number })).promotions).toEqual([
      { number: promoted.number, state: "draft" },
    ]);
    // Promoting twice would review one version twice.
    expect((await failure((await as(AUTHOR)).workflow.promote({ number: proposed.number }))).message).toMatch(/already proposed/);

    // Enforced through the promotion: the staged version leaves the staged set of the next release.
    await (await as(AUTHOR)).workflow.submit({ number: promoted.number, reason: "" });
    await approve(promoted.number);
    const next = await (await as(ADMIN)).workflow.release({ number: promoted.number });
    expect((await policyRow(name)).releasedVersion).toBe(2);
    const view2 = await (await as(ADMIN)).releases.staged({ number: next.release });
    expect(view2.staged).toBe(false);
    expect(view2.entries.map((e) => e.name)).not.toContain(name);
  });

  it("refuses to promote a change that is not a released staged change", async () => {
    const { number, contentHash } = await proposedEdit("staged-refusals");
    expect((await failure((await as(AUTHOR)).workflow.promote({ number }))).message).toMatch(/is not staged/);
    await (await as(AUTHOR)).workflow.setStaged({ number, contentHash, staged: true });
    expect((await failure((await as(AUTHOR)).workflow.promote({ number }))).message).toMatch(/only a released staged change is promoted/);
  });
});
