// The approval workflow end to end through the tRPC callers: every state
// transition and refusal, separation of duties, quorum per rule, approvals
// bound to the content hash, rebase, and releases.
import { count, eq } from "drizzle-orm";
import { parse as parseYaml } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { auditEvents, changeRequestApprovals, changeRequests, memberships, policies, releaseEntries, releases, user } from "@/db/schema";
import { testDatabaseKind } from "@/db/testing";
import { verifyAuditTrail } from "@/server/audit/query";
import { documentToYaml } from "@/lib/policy-yaml";
import { auditEventsAfter, auditHead } from "@/server/testing/audit-events";
import { callerFor } from "@/server/testing/actors";
import { useSeededDatabase } from "@/server/testing/database";
import { insertPasswordUser } from "@/server/users/credentials";
import { changeContentHash } from "@/server/changes/content-hash";
import { itemsOf } from "./review";
import { trpcFailure as failure } from "@/server/testing/trpc";
import { paymentsEgressYaml } from "@/server/testing/policies";

const ADMIN = "alex.admin@acme.example";
const AUTHOR = "priya.payments@acme.example";
const SECURITY = "sam.security@acme.example";
const NETWORKING = "nina.network@acme.example";
const PAYMENTS_COMMITTEE = "dana.payments-committee@acme.example";
const VIEWER = "avery.audit@acme.example";
const SECURITY_2 = "second.security@acme.example";
const BOTH = "security.and.networking@acme.example";

describe(`approval workflow on ${testDatabaseKind()}`, () => {
  const database = useSeededDatabase();
  const db = () => database().db;
  const as = (email: string) => callerFor(db(), email);

  beforeAll(async () => {
    const add = async (email: string, grants: { fn: "security" | "networking" }[]) => {
      const id = await insertPasswordUser(db(), { name: email, email, password: "a-good-password" });
      for (const g of grants)
        await db().insert(memberships).values({ userId: id, tenantId: null, role: "approver", committeeFunction: g.fn });
    };
    await add(SECURITY_2, [{ fn: "security" }]);
    // One person holding two functions: the memberships key is (user, tenant, role), so the second is a tenant grant.
    const id = await insertPasswordUser(db(), { name: BOTH, email: BOTH, password: "a-good-password" });
    await db().insert(memberships).values({ userId: id, tenantId: null, role: "approver", committeeFunction: "security" });
    await db().insert(memberships).values({ userId: id, tenantId: null, role: "admin", committeeFunction: "networking" });
  });

  /** A new draft of `name` by `email` (a description change): its version. */
  async function draft(email: string, name: string, description: string): Promise<number> {
    const caller = await as(email);
    const latest = (await caller.policies.get({ name })).versions.at(-1)!;
    const document = parseYaml(latest.yaml) as { metadata: Record<string, unknown> };
    const saved = await caller.policies.saveDraft({
      policyName: name,
      baseVersion: latest.version,
      yaml: documentToYaml({ ...document, metadata: { ...document.metadata, description } }),
      message: "",
    });
    return saved.version;
  }

  /** A new namespace policy of the payments tenant (version 1, never released). */
  let made = 0;
  async function paymentsPolicy(): Promise<string> {
    const name = `wf-test-${++made}`;
    const yaml = paymentsEgressYaml(name, { description: "Workflow test policy" });
    await (await as(AUTHOR)).policies.saveDraft({ policyName: null, baseVersion: null, yaml, message: "" });
    return name;
  }

  async function propose(email: string, names: string[], title = "test change") {
    for (const name of names) await draft(email, name, `${title} ${Math.random()}`);
    const proposed = await (await as(email)).policies.proposeChange({ title, description: "", policies: names });
    return (await as(email)).workflow.review({ number: proposed.number });
  }

  const counts = async () => ({
    approvals: (await db().select({ n: count() }).from(changeRequestApprovals))[0]!.n,
    audit: (await db().select({ n: count() }).from(auditEvents))[0]!.n,
    releases: (await db().select({ n: count() }).from(releases))[0]!.n,
  });

  it("asks a namespace-tier change for one approver of the owning tenant and one from security, and binds the hash to its content", async () => {
    const name = await paymentsPolicy();
    const review = await propose(AUTHOR, [name]);
    expect(review.state).toBe("in-review");
    expect(review.rules).toEqual([
      expect.objectContaining({
        rule: "namespace-tier",
        policies: [name],
        satisfied: false,
        required: [
          expect.objectContaining({ function: "application", count: 1, tenant: "payments", givenBy: [] }),
          expect.objectContaining({ function: "security", count: 1, givenBy: [] }),
        ],
      }),
    ]);
    const [cr] = await db().select().from(changeRequests).where(eq(changeRequests.number, review.number));
    // The workflow's hash formula is proposeChange's: an edit that changes nothing keeps the approvals.
    expect(await changeContentHash(db(), await itemsOf(db(), cr!.id))).toBe(cr!.contentHash);
    await expect((await as(AUTHOR)).workflow.review({ number: review.number })).resolves.toMatchObject({
      actions: expect.arrayContaining(["withdraw", "edit"]),
    });
  });

  it("refuses approval to the author, a viewer, an unneeded function and a stale hash, writing nothing but the refusals; then reaches approved with the quorum", async () => {
    const name = await paymentsPolicy();
    const { number, contentHash } = await propose(AUTHOR, [name]);
    const before = await counts();
    const head = await auditHead(db());
    expect((await failure((await as(AUTHOR)).workflow.approve({ number, contentHash }))).code).toBe("FORBIDDEN");
    expect((await failure((await as(AUTHOR)).workflow.approve({ number, contentHash }))).message).toMatch(
      /authors never review their own change/,
    );
    expect((await failure((await as(VIEWER)).workflow.approve({ number, contentHash }))).code).toBe("FORBIDDEN");
    const networking = await failure((await as(NETWORKING)).workflow.approve({ number, contentHash }));
    expect(networking.code).toBe("FORBIDDEN");
    expect(networking.message).toMatch(/needs approvers of application, security.*networking/);
    expect((await failure((await as(SECURITY)).workflow.approve({ number, contentHash: "0".repeat(64) }))).code).toBe("CONFLICT");
    expect((await failure((await as(ADMIN)).workflow.release({ number }))).message).toMatch(
      /approvals missing: 1 × application \(namespace-tier\), 1 × security \(namespace-tier\)/,
    );
    expect((await failure((await as(SECURITY)).workflow.release({ number }))).code).toBe("FORBIDDEN");
    // Each of the seven refused calls leaves its refusal in the trail, and nothing else.
    expect((await auditEventsAfter(db(), head)).map((e) => e.action)).toEqual(Array(7).fill("mutation.refused"));
    expect(await counts()).toEqual({ ...before, audit: before.audit + 7 });

    expect(await (await as(SECURITY)).workflow.approve({ number, contentHash })).toMatchObject({
      state: "in-review",
      approval: { by: SECURITY, function: "security", contentHash },
    });
    const twice = await failure((await as(SECURITY)).workflow.approve({ number, contentHash }));
    expect(twice.code).toBe("CONFLICT");
    expect(twice.message).toMatch(/already approved/);
    expect(await (await as(PAYMENTS_COMMITTEE)).workflow.approve({ number, contentHash })).toMatchObject({ state: "approved" });
    const review = await (await as(VIEWER)).workflow.review({ number });
    expect(review.rules[0]!.required.map((r) => r.givenBy)).toEqual([[PAYMENTS_COMMITTEE], [SECURITY]]);
    expect(review.satisfied).toBe(true);
    const actions = (await db().select({ action: auditEvents.action }).from(auditEvents)).map((e) => e.action);
    expect(actions.filter((a) => a === "change.approval_given").length).toBeGreaterThanOrEqual(2);
    expect(actions).toContain("change.approve");
  });

  it("voids every approval when the content is edited, sends an approved change back to review and refuses the old hash", async () => {
    const name = await paymentsPolicy();
    const { number, contentHash } = await propose(AUTHOR, [name]);
    await (await as(SECURITY)).workflow.approve({ number, contentHash });
    await (await as(PAYMENTS_COMMITTEE)).workflow.approve({ number, contentHash });
    // A title edit changes no content: the approvals stand.
    expect(await (await as(AUTHOR)).workflow.edit({ number, contentHash, title: "renamed" })).toMatchObject({
      state: "approved",
      contentHash,
      voided: 0,
    });
    expect((await failure((await as(SECURITY)).workflow.edit({ number, contentHash }))).code).toBe("FORBIDDEN");
    await draft(AUTHOR, name, "edited after approval");
    const edited = await (await as(AUTHOR)).workflow.edit({ number, contentHash });
    expect(edited).toMatchObject({ state: "in-review", voided: 2 });
    expect(edited.contentHash).not.toBe(contentHash);
    const review = await (await as(VIEWER)).workflow.review({ number });
    expect(review.approvals.map((a) => [a.by, a.voided, a.contentHash])).toEqual([
      [SECURITY, true, contentHash],
      [PAYMENTS_COMMITTEE, true, contentHash],
    ]);
    expect(review.approvals[0]!.voidedReason).toMatch(/edited/);
    expect(review.satisfied).toBe(false);
    const stale = await failure((await as(SECURITY)).workflow.approve({ number, contentHash }));
    expect(stale.code).toBe("CONFLICT");
    expect(stale.message).toMatch(/changed since you viewed it/);
    // Editing from a stale view is refused too.
    expect((await failure((await as(AUTHOR)).workflow.edit({ number, contentHash, title: "x" }))).code).toBe("CONFLICT");
    await (await as(SECURITY)).workflow.approve({ number, contentHash: edited.contentHash });
    expect(await (await as(PAYMENTS_COMMITTEE)).workflow.approve({ number, contentHash: edited.contentHash })).toMatchObject({
      state: "approved",
    });
  });

  it("never lets a co-author approve: whoever wrote a proposed version is an author", async () => {
    const name = await paymentsPolicy();
    await draft(PAYMENTS_COMMITTEE, name, "written by the committee member");
    const { number } = await (await as(AUTHOR)).policies.proposeChange({ title: "co-authored", description: "", policies: [name] });
    const { contentHash } = await (await as(AUTHOR)).workflow.review({ number });
    const refused = await failure((await as(PAYMENTS_COMMITTEE)).workflow.approve({ number, contentHash }));
    expect(refused.code).toBe("FORBIDDEN");
    expect(refused.message).toMatch(/wrote a version it proposes/);
  });

  it("counts one person once per rule even with two functions: a global change needs three distinct people", async () => {
    const { number, contentHash, rules } = await propose(ADMIN, ["global-allow-dns"], "global change");
    expect(rules.map((r) => r.rule)).toEqual(["global-regional-tier"]);
    await (await as(BOTH)).workflow.approve({ number, contentHash });
    expect(await (await as(SECURITY)).workflow.approve({ number, contentHash })).toMatchObject({ state: "in-review" });
    let review = await (await as(VIEWER)).workflow.review({ number });
    expect(review.rules[0]!.satisfied).toBe(false);
    // The admin who proposed it may not approve it, whatever functions admins hold.
    expect((await failure((await as(ADMIN)).workflow.approve({ number, contentHash }))).code).toBe("FORBIDDEN");
    expect(await (await as(NETWORKING)).workflow.approve({ number, contentHash })).toMatchObject({ state: "approved" });
    review = await (await as(VIEWER)).workflow.review({ number });
    expect(review.rules[0]!.required.map((r) => [r.function, [...r.givenBy].sort()])).toEqual([
      ["security", [BOTH, SECURITY].sort()],
      ["networking", [NETWORKING]],
    ]);
  });

  it("asks every committee function when a compliance constraint is loosened", async () => {
    const [constraint] = await db().select().from(policies).where(eq(policies.kind, "ComplianceConstraint")).limit(1);
    const security = await as(SECURITY);
    const latest = (await security.policies.get({ name: constraint!.name })).versions.at(-1)!;
    const document = parseYaml(latest.yaml) as { spec: Record<string, unknown> };
    const ports = [{ port: 1, protocol: "TCP" }];
    await security.policies.saveDraft({
      policyName: constraint!.name,
      baseVersion: latest.version,
      yaml: documentToYaml({ ...document, spec: { ...document.spec, ports } }),
      message: "narrow it",
    });
    const { number } = await security.policies.proposeChange({ title: "loosen", description: "", policies: [constraint!.name] });
    const review = await security.workflow.review({ number });
    expect(review.rules.map((r) => r.rule).sort()).toEqual(["global-regional-tier", "loosen-constraint"]);
    expect(review.rules.find((r) => r.rule === "loosen-constraint")!.required.map((r) => r.function)).toEqual([
      "security",
      "networking",
      "platform",
      "application",
    ]);
    await security.workflow.withdraw({ number, reason: "" });
  });

  it("moves through request-changes, resubmit, reject and withdraw, refusing every illegal move with a CONFLICT that says why", async () => {
    const name = await paymentsPolicy();
    const { number, contentHash } = await propose(AUTHOR, [name]);
    const security = await as(SECURITY);
    expect((await failure(security.workflow.requestChanges({ number, reason: "" }))).code).toBe("BAD_REQUEST");
    expect((await failure((await as(AUTHOR)).workflow.reject({ number, reason: "mine" }))).code).toBe("FORBIDDEN");
    expect(await security.workflow.requestChanges({ number, contentHash, reason: "narrow the port" })).toMatchObject({
      state: "changes-requested",
    });
    const approveNow = await failure(security.workflow.approve({ number, contentHash }));
    expect(approveNow.code).toBe("CONFLICT");
    expect(approveNow.message).toMatch(/changes were requested/);
    expect((await failure(security.workflow.submit({ number, reason: "" }))).code).toBe("FORBIDDEN");
    expect(await (await as(AUTHOR)).workflow.submit({ number, reason: "" })).toMatchObject({ state: "in-review" });
    expect(await security.workflow.reject({ number, reason: "not needed" })).toMatchObject({ state: "rejected" });
    for (const move of [
      () => security.workflow.approve({ number, contentHash }),
      async () => (await as(AUTHOR)).workflow.withdraw({ number, reason: "" }),
      async () => (await as(AUTHOR)).workflow.submit({ number, reason: "" }),
      async () => (await as(AUTHOR)).workflow.edit({ number, contentHash, title: "x" }),
      async () => (await as(ADMIN)).workflow.release({ number }),
    ]) {
      const refused = await failure(move());
      expect(refused.code).toBe("CONFLICT");
      expect(refused.message).toMatch(/was rejected/);
    }
    // Its drafted version is free again once the request is closed.
    const other = await paymentsPolicy();
    const second = await propose(AUTHOR, [other]);
    expect(await (await as(AUTHOR)).workflow.withdraw({ number: second.number, reason: "later" })).toMatchObject({ state: "withdrawn" });
    const actions = (
      await db()
        .select({ action: auditEvents.action })
        .from(auditEvents)
        .where(eq(auditEvents.targetLabel, `#${number} test change`))
    ).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(["change.proposed", "change.request-changes", "change.resubmit", "change.reject"]));
  });

  it("releases an approved change as the next numbered snapshot of the whole policy set, once, and asks a second change on the same policy to rebase", async () => {
    const name = await paymentsPolicy();
    const first = await propose(AUTHOR, [name], "first");
    const v2 = await draft(AUTHOR, name, "second change");
    const { number: secondNumber } = await (
      await as(AUTHOR)
    ).policies.proposeChange({ title: "second", description: "", policies: [name] });
    const second = await (await as(AUTHOR)).workflow.review({ number: secondNumber });
    for (const cr of [first, second]) {
      await (await as(SECURITY)).workflow.approve({ number: cr.number, contentHash: cr.contentHash });
      await (await as(PAYMENTS_COMMITTEE)).workflow.approve({ number: cr.number, contentHash: cr.contentHash });
    }
    const released = await (await as(ADMIN)).workflow.release({ number: first.number });
    const [row] = await db().select().from(releases).where(eq(releases.number, released.release));
    expect(row).toMatchObject({ changeRequestNumber: first.number, createdByLabel: ADMIN });
    const entries = await db().select().from(releaseEntries).where(eq(releaseEntries.releaseId, row!.id));
    const releasedPolicies = await db().select().from(policies);
    expect(entries.length).toBe(releasedPolicies.filter((p) => p.releasedVersion !== null).length);
    expect(entries.filter((e) => e.changed).map((e) => e.name)).toEqual([name]);
    expect(releasedPolicies.find((p) => p.name === name)!.releasedVersion).toBe(v2 - 1);
    expect((await failure((await as(ADMIN)).workflow.release({ number: first.number }))).message).toMatch(/already released/);
    expect((await failure((await as(AUTHOR)).workflow.withdraw({ number: first.number, reason: "" }))).code).toBe("CONFLICT");

    const rebase = await failure((await as(ADMIN)).workflow.release({ number: second.number }));
    expect(rebase.code).toBe("CONFLICT");
    expect(rebase.message).toMatch(/must be rebased/);
    expect((await (await as(ADMIN)).workflow.review({ number: second.number })).rebase).toEqual([
      { policy: name, proposedFrom: null, released: v2 - 1 },
    ]);
    // Its draft was written on top of the first's: the rebase only moves its base (three-way merges: rebase.int.test.ts).
    const rebased = await (await as(AUTHOR)).workflow.rebase({ number: second.number, contentHash: second.contentHash });
    expect(rebased).toMatchObject({ state: "in-review", voided: 2, rebased: [{ policy: name, version: v2, resolvedBy: "merge" }] });
    await (await as(SECURITY)).workflow.approve({ number: second.number, contentHash: rebased.contentHash });
    await (await as(PAYMENTS_COMMITTEE)).workflow.approve({ number: second.number, contentHash: rebased.contentHash });
    const next = await (await as(ADMIN)).workflow.release({ number: second.number });
    expect(next.release).toBe(released.release + 1);
    const detail = await (await as(VIEWER)).releases.get({ number: next.release });
    expect(detail.policies.find((p) => p.name === name)).toMatchObject({ version: v2, previousVersion: v2 - 1, changed: true });
    expect((await (await as(VIEWER)).releases.list()).slice(0, 2).map((r) => r.number)).toEqual([next.release, released.release]);
    expect((await (await as(VIEWER)).policies.get({ name })).versions.find((v) => v.version === v2)!.state).toBe("released");
    // Releases are immutable at the database.
    await expect(db().update(releases).set({ title: "rewritten" }).where(eq(releases.id, row!.id))).rejects.toThrow();
    await expect(db().delete(releaseEntries).where(eq(releaseEntries.releaseId, row!.id))).rejects.toThrow();
  });

  it("releases through the emergency rule with one security approval, through a freeze, flagged in the audit trail; never without it", async () => {
    const name = await paymentsPolicy();
    const { number, contentHash } = await propose(AUTHOR, [name], "hotfix");
    const admin = await as(ADMIN);
    const freeze = await admin.releases.createFreeze({
      environment: "production",
      startsAt: new Date(Date.now() - 1000),
      endsAt: new Date(Date.now() + 3_600_000),
      reason: "peak season",
    });
    const reason = "Card payments are failing; this opens the new PSP endpoint.";
    expect((await failure(admin.workflow.release({ number, emergency: { reason } }))).message).toMatch(
      /emergency rule's approvals are missing: 1 × security/,
    );
    expect((await failure(admin.workflow.release({ number, emergency: { reason: "now" } }))).code).toBe("BAD_REQUEST");
    await (await as(SECURITY)).workflow.approve({ number, contentHash });
    expect((await failure(admin.workflow.release({ number }))).code).toBe("CONFLICT");
    expect((await failure((await as(SECURITY)).workflow.release({ number, emergency: { reason } }))).code).toBe("FORBIDDEN");
    const released = await admin.workflow.release({ number, emergency: { reason } });
    const [row] = await db().select().from(releases).where(eq(releases.number, released.release));
    expect(row!.emergencyReason).toBe(reason);
    const [event] = await db().select().from(auditEvents).where(eq(auditEvents.targetId, row!.id));
    expect(event).toMatchObject({
      action: "release.created",
      after: expect.objectContaining({ emergency: { reason, approvedBy: [SECURITY] } }),
    });
    expect((await (await as(VIEWER)).releases.list()).find((r) => r.number === released.release)).toMatchObject({ emergency: true });
    await admin.releases.endFreeze({ id: freeze.id });
  });

  it("keeps an unbroken audit chain through all of it", async () => {
    expect(await verifyAuditTrail(db())).toMatchObject({ ok: true });
    const [someone] = await db().select().from(user).where(eq(user.email, SECURITY));
    expect(someone).toBeDefined();
  });
});
