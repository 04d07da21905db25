// In-app notifications per workflow transition: who is told what, never the
// person who acted, written in the transition's own transaction; the bell's
// list and count, and marking read only one's own.
import { randomUUID } from "node:crypto";
import { desc, eq } from "drizzle-orm";
import { parse as parseYaml } from "yaml";
import { describe, expect, it } from "vitest";
import { changeRequests, notifications, user, webhookDeliveries, webhookEndpoint } from "@/db/schema";
import { testDatabaseKind } from "@/db/testing";
import { documentToYaml } from "@/lib/policy-yaml";
import { withTransaction } from "@/server/context";
import { callerFor, DEMO_PEOPLE, demoActor } from "@/server/testing/actors";
import { useSeededDatabase } from "@/server/testing/database";
import { paymentsEgressYaml } from "@/server/testing/policies";
import { trpcFailure as failure } from "@/server/testing/trpc";
import { findChange } from "@/server/workflow/review";
import { moveChange } from "@/server/workflow/transition";
import { notify } from "./notify";

const {
  admin: ADMIN,
  author: AUTHOR,
  security: SECURITY,
  networking: NETWORKING,
  paymentsCommittee: PAYMENTS_COMMITTEE,
  viewer: VIEWER,
} = DEMO_PEOPLE;

describe(`notifications on ${testDatabaseKind()}`, () => {
  const database = useSeededDatabase();
  const db = () => database().db;
  const as = (email: string) => callerFor(db(), email);

  /** Notifications each person got since `since`, as "email: kind: title". */
  async function inbox(since: Date) {
    const rows = await db()
      .select({
        email: user.email,
        kind: notifications.kind,
        title: notifications.title,
        href: notifications.href,
        createdAt: notifications.createdAt,
      })
      .from(notifications)
      .innerJoin(user, eq(user.id, notifications.userId))
      .orderBy(notifications.createdAt);
    return rows.filter((r) => r.createdAt >= since);
  }
  const who = (rows: { email: string }[]) => [...new Set(rows.map((r) => r.email))].sort();

  let made = 0;
  /** A new payments namespace policy proposed by the author: the change request's number and content hash. */
  async function proposed(title = "notify test") {
    const name = `notify-test-${++made}-${randomUUID().slice(0, 6)}`;
    await (await as(AUTHOR)).policies.saveDraft({ policyName: null, baseVersion: null, yaml: paymentsEgressYaml(name), message: "" });
    const { number } = await (await as(AUTHOR)).policies.proposeChange({ title, description: "", policies: [name] });
    const [cr] = await db().select().from(changeRequests).where(eq(changeRequests.number, number));
    return { number, contentHash: cr!.contentHash, name };
  }

  async function approveFully(number: number, contentHash: string) {
    await (await as(PAYMENTS_COMMITTEE)).workflow.approve({ number, contentHash });
    return (await as(SECURITY)).workflow.approve({ number, contentHash });
  }

  it("asks the committee functions a proposal needs for their approval, not its author nor other functions", async () => {
    const since = new Date();
    const { number } = await proposed("ask the committee");
    const rows = await inbox(since);
    expect(who(rows)).toEqual(expect.arrayContaining([PAYMENTS_COMMITTEE, SECURITY]));
    expect(who(rows)).not.toContain(AUTHOR);
    expect(who(rows)).not.toContain(NETWORKING);
    expect(who(rows)).not.toContain(VIEWER);
    const security = rows.find((r) => r.email === SECURITY)!;
    expect(security).toMatchObject({ kind: "approval-wanted", href: `/changes/${number}` });
    expect(security.title).toMatch(new RegExp(`#${number} “ask the committee” by ${AUTHOR} wants your approval \\(security\\)`));
    expect(rows.find((r) => r.email === PAYMENTS_COMMITTEE)!.title).toMatch(/wants your approval \(application\)/);
  });

  it("tells the author when their change is approved (only once the quorum is met) and when it is released", async () => {
    const { number, contentHash } = await proposed();
    let since = new Date();
    await (await as(PAYMENTS_COMMITTEE)).workflow.approve({ number, contentHash });
    expect(await inbox(since)).toEqual([]);
    await (await as(SECURITY)).workflow.approve({ number, contentHash });
    expect(await inbox(since)).toEqual([
      expect.objectContaining({
        email: AUTHOR,
        kind: "change-decided",
        title: expect.stringMatching(new RegExp(`#${number} .* was approved`)),
      }),
    ]);
    since = new Date();
    const { release } = await (await as(ADMIN)).workflow.release({ number });
    expect(await inbox(since)).toEqual([
      expect.objectContaining({
        email: AUTHOR,
        kind: "change-decided",
        title: expect.stringMatching(new RegExp(`was released as release ${release} by ${ADMIN}`)),
      }),
    ]);
  });

  it("tells the author about changes requested and a rejection, with the reviewer's reason", async () => {
    const { number, contentHash } = await proposed();
    let since = new Date();
    await (await as(SECURITY)).workflow.requestChanges({ number, contentHash, reason: "narrow the port range" });
    expect(await inbox(since)).toEqual([
      expect.objectContaining({
        email: AUTHOR,
        title: expect.stringMatching(new RegExp(`${SECURITY} requested changes to #${number} .*: narrow the port range`)),
      }),
    ]);
    since = new Date();
    await (await as(SECURITY)).workflow.reject({ number, reason: "not needed" });
    expect(await inbox(since)).toEqual([
      expect.objectContaining({
        email: AUTHOR,
        title: expect.stringMatching(new RegExp(`${SECURITY} rejected #${number} .*: not needed`)),
      }),
    ]);
  });

  it("asks again for approvals an edit voided, including the approvers whose approval it voided", async () => {
    const { number, contentHash, name } = await proposed();
    await approveFully(number, contentHash);
    const author = await as(AUTHOR);
    const latest = (await author.policies.get({ name })).versions.at(-1)!;
    const document = parseYaml(latest.yaml) as { metadata: Record<string, unknown> };
    await author.policies.saveDraft({
      policyName: name,
      baseVersion: latest.version,
      yaml: documentToYaml({ ...document, metadata: { ...document.metadata, description: "edited after approval" } }),
      message: "",
    });
    const since = new Date();
    const edited = await author.workflow.edit({ number, contentHash, policies: [name] });
    expect(edited.voided).toBe(2);
    const rows = await inbox(since);
    expect(who(rows)).toEqual(expect.arrayContaining([PAYMENTS_COMMITTEE, SECURITY]));
    expect(who(rows)).not.toContain(AUTHOR);
    expect(rows[0]!.title).toMatch(/it was edited, earlier approvals are void/);
  });

  it("writes notifications in the transition's transaction: a move rolled back leaves none", async () => {
    const { number } = await proposed();
    const actor = await demoActor(db(), SECURITY);
    const since = new Date();
    await expect(
      withTransaction({ db: db(), actor, requestId: "rollback" }, async (tx) => {
        const { cr } = await findChange(tx.db, actor, number, true);
        await moveChange(tx, cr, "reject", "rejected", { reason: "rolled back" });
        expect(
          (
            await tx.db
              .select()
              .from(notifications)
              .where(eq(notifications.title, `${SECURITY} rejected #${number} “notify test”: rolled back`))
          ).length,
        ).toBe(1);
        throw new Error("the transaction fails after the move");
      }),
    ).rejects.toThrow("the transaction fails after the move");
    expect(await inbox(since)).toEqual([]);
  });

  it("tells the author and the releaser when a release rolls out or fails on a cluster", async () => {
    const { number, contentHash } = await proposed("to roll out");
    await approveFully(number, contentHash);
    const { release } = await (await as(ADMIN)).workflow.release({ number });
    const rollout = await demoActor(db(), NETWORKING);
    const since = new Date();
    await withTransaction({ db: db(), actor: rollout, requestId: "rollout" }, async (tx) => {
      await notify(tx, { type: "release.failed", release, cluster: "prod-eu-1", reason: "the agent refused the objects" });
      await notify(tx, { type: "release.rolled-out", release });
    });
    const rows = await inbox(since);
    expect(who(rows)).toEqual([ADMIN, AUTHOR].sort());
    expect(rows.filter((r) => r.email === AUTHOR).map((r) => [r.kind, r.title, r.href])).toEqual([
      ["release-failed", `Release ${release} (to roll out) failed on prod-eu-1: the agent refused the objects`, `/releases/${release}`],
      ["release-rolled-out", `Release ${release} (to roll out) rolled out to every cluster`, `/releases/${release}`],
    ]);
  });

  it("queues one webhook delivery per event in the same transaction while the webhook is enabled", async () => {
    await db()
      .insert(webhookEndpoint)
      .values({ id: 1, url: "http://127.0.0.1:9/hook", secret: "s".repeat(32), enabled: true, updatedByLabel: "test" })
      .onConflictDoUpdate({ target: webhookEndpoint.id, set: { enabled: true } });
    const { number } = await proposed("hooked");
    const [delivery] = await db().select().from(webhookDeliveries).orderBy(desc(webhookDeliveries.createdAt)).limit(1);
    expect(delivery).toMatchObject({
      event: "approval-wanted",
      state: "pending",
      payload: expect.objectContaining({
        changeRequest: number,
        href: `/changes/${number}`,
        text: expect.stringMatching(
          new RegExp(`#${number} “hooked” by ${AUTHOR} wants approvals \\((application, security|security, application)\\)`),
        ),
      }),
    });
    await db().update(webhookEndpoint).set({ enabled: false }).where(eq(webhookEndpoint.id, 1));
    const before = (await db().select().from(webhookDeliveries)).length;
    await proposed("not hooked");
    expect((await db().select().from(webhookDeliveries)).length).toBe(before);
  });

  it("lists a person's own notifications with the unread count, and marks only their own read", async () => {
    await proposed("for the bell");
    const security = await as(SECURITY);
    const mine = await security.notifications.mine();
    expect(mine.unread).toBeGreaterThan(0);
    expect(mine.items[0]).toMatchObject({ kind: "approval-wanted", title: expect.stringContaining("“for the bell”") });
    // Someone else's ids mark nothing of theirs.
    expect(await (await as(NETWORKING)).notifications.markRead({ ids: [mine.items[0]!.id] })).toEqual({ marked: 0 });
    expect((await security.notifications.mine()).unread).toBe(mine.unread);
    expect(await security.notifications.markRead({ ids: [mine.items[0]!.id] })).toEqual({ marked: 1 });
    expect((await security.notifications.mine()).unread).toBe(mine.unread - 1);
    await security.notifications.markRead({});
    expect((await security.notifications.mine()).unread).toBe(0);
    expect((await failure(security.notifications.markRead({ ids: ["not-a-uuid"] }))).code).toBe("BAD_REQUEST");
  });
});
