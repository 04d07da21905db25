// Reviewing change requests: the approver's queue (what waits for my committee function, oldest
// first, never my own change nor one I approved), comments (whole change and line comments, a
// 1 MB comment refused by name with nothing written, another tenant's change not found), and the
// timeline built from the recorded events.
import { count, eq } from "drizzle-orm";
import { parse as parseYaml } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { changeRequestComments, memberships, tenants } from "@/db/schema";
import { testDatabaseKind } from "@/db/testing";
import { documentToYaml } from "@/lib/policy-yaml";
import { auditEventsAfter, auditHead } from "@/server/testing/audit-events";
import { callerFor } from "@/server/testing/actors";
import { useSeededDatabase } from "@/server/testing/database";
import { paymentsEgressYaml } from "@/server/testing/policies";
import { trpcFailure as failure } from "@/server/testing/trpc";
import { insertPasswordUser } from "@/server/users/credentials";
import { RISK_LEVELS } from "@/server/changes/impact";

const ADMIN = "alex.admin@acme.example";
const AUTHOR = "priya.payments@acme.example";
const SECURITY = "sam.security@acme.example";
const NETWORKING = "nina.network@acme.example";
const COMMITTEE = "dana.payments-committee@acme.example";
const VIEWER = "avery.audit@acme.example";
const CHECKOUT_VIEWER = "reviews.checkout.viewer@acme.example";

describe(`review queue, comments and timeline on ${testDatabaseKind()}`, () => {
  const database = useSeededDatabase();
  const db = () => database().db;
  const as = (email: string) => callerFor(db(), email);
  let made = 0;

  beforeAll(async () => {
    const [checkout] = await db().select().from(tenants).where(eq(tenants.name, "checkout"));
    const id = await insertPasswordUser(db(), { name: "Checkout viewer", email: CHECKOUT_VIEWER, password: "a-good-password" });
    await db().insert(memberships).values({ userId: id, tenantId: checkout!.id, role: "viewer" });
  });

  async function proposed(title: string) {
    const name = `reviews-${++made}`;
    const author = await as(AUTHOR);
    await author.policies.saveDraft({ policyName: null, baseVersion: null, yaml: paymentsEgressYaml(name), message: "" });
    const { number } = await author.policies.proposeChange({ title, description: "", policies: [name] });
    return { name, number, contentHash: (await author.workflow.review({ number })).contentHash };
  }

  it("queues a change for the approvers whose function it still needs, oldest first, with risk and impact at a glance", async () => {
    const first = await proposed("first in line");
    const second = await proposed("second in line");
    const security = await as(SECURITY);
    const queue = await security.reviews.queue();
    expect(queue.functions).toEqual(["security"]);
    const mine = queue.items.filter((i) => [first.number, second.number].includes(i.number));
    expect(mine.map((i) => i.number)).toEqual([first.number, second.number]);
    expect(mine[0]).toMatchObject({
      title: "first in line",
      author: AUTHOR,
      tenant: "payments",
      policies: 1,
      tiers: ["namespace"],
      rules: ["namespace-tier"],
      approvals: 0,
      needed: 2,
      wanted: [{ rule: "namespace-tier", function: "security", missing: 1, tenant: null }],
    });
    // The queue's risk is the part of the change page's impact risk its edits decide: the same words, never above it.
    expect(mine[0]!.risk).toEqual({ level: "low", reasons: [`touches the namespace tier (${first.name})`], basis: "edits" });
    const impact = await security.changes.impact({ number: first.number });
    expect(impact.risk.reasons.map((r) => r.text)).toEqual(expect.arrayContaining(mine[0]!.risk.reasons));
    expect(RISK_LEVELS.indexOf(impact.risk.level)).toBeGreaterThanOrEqual(RISK_LEVELS.indexOf(mine[0]!.risk.level));
    expect((await (await as(COMMITTEE)).reviews.queue()).items.find((i) => i.number === first.number)?.wanted).toEqual([
      { rule: "namespace-tier", function: "application", missing: 1, tenant: "payments" },
    ]);
    // Not for networking (not needed), the author (their own), a viewer (no function), or once approved.
    expect((await (await as(NETWORKING)).reviews.queue()).items.map((i) => i.number)).not.toContain(first.number);
    expect(await (await as(AUTHOR)).reviews.queue()).toEqual({ functions: [], items: [] });
    expect(await (await as(VIEWER)).reviews.queue()).toEqual({ functions: [], items: [] });
    await security.workflow.approve({ number: first.number, contentHash: first.contentHash });
    expect((await security.reviews.queue()).items.map((i) => i.number)).not.toContain(first.number);
    expect((await (await as(COMMITTEE)).reviews.queue()).items.find((i) => i.number === first.number)).toMatchObject({ approvals: 1 });
    // Approved changes leave the queue.
    await (await as(COMMITTEE)).workflow.approve({ number: first.number, contentHash: first.contentHash });
    expect((await (await as(COMMITTEE)).reviews.queue()).items.map((i) => i.number)).not.toContain(first.number);
  }, 180_000);

  it("takes comments from anyone who may read the change, line comments anchored to a policy line, each audited", async () => {
    const { name, number } = await proposed("commented");
    const head = await auditHead(db());
    await (await as(SECURITY)).reviews.comment({ number, body: "  Why api.stripe.com and not the gateway?  " });
    await (
      await as(VIEWER)
    ).reviews.comment({ number, body: "Port 443 only, good.", anchor: { policy: name, side: "proposed", line: 22 } });
    await (await as(AUTHOR)).reviews.comment({ number, body: "The gateway has no route yet." });
    const comments = await (await as(COMMITTEE)).reviews.comments({ number });
    expect(comments.map((c) => [c.by, c.body, c.anchor, c.current])).toEqual([
      [SECURITY, "Why api.stripe.com and not the gateway?", null, true],
      [VIEWER, "Port 443 only, good.", { policy: name, side: "proposed", line: 22, text: "        - port: 443" }, true],
      [AUTHOR, "The gateway has no route yet.", null, true],
    ]);
    const events = await auditEventsAfter(db(), head);
    expect(events.map((e) => [e.action, e.actorLabel])).toEqual([
      ["change.commented", SECURITY],
      ["change.commented", VIEWER],
      ["change.commented", AUTHOR],
    ]);
    expect(events[1]!.after).toMatchObject({ body: "Port 443 only, good.", anchor: { policyName: name, side: "proposed", line: 22 } });
  });

  it("refuses a 1 MB comment, an empty one, a line past the end, a policy the change does not hold and another tenant's change, writing nothing but the refusal", async () => {
    const { name, number } = await proposed("refusals");
    const comments = async () => (await db().select({ n: count() }).from(changeRequestComments))[0]!.n;
    const before = await comments();
    const head = await auditHead(db());
    const security = await as(SECURITY);
    const huge = await failure(security.reviews.comment({ number, body: "x".repeat(1024 * 1024) }));
    expect(huge.code).toBe("PAYLOAD_TOO_LARGE");
    expect(huge.message).toBe("A comment is at most 10,000 characters; this one has 1,048,576. Shorten it, or link to a longer text.");
    expect((await failure(security.reviews.comment({ number, body: "   " }))).message).toBe("Write something: the comment is empty.");
    expect(
      (await failure(security.reviews.comment({ number, body: "here", anchor: { policy: name, side: "proposed", line: 500 } }))).message,
    ).toBe(`${name} proposed v1 has 24 lines; there is no line 500.`);
    expect(
      (await failure(security.reviews.comment({ number, body: "here", anchor: { policy: name, side: "released", line: 1 } }))).message,
    ).toBe(`${name} has no released version to comment on: comment on the proposed side.`);
    expect(
      (
        await failure(
          security.reviews.comment({ number, body: "here", anchor: { policy: "payments-backends", side: "proposed", line: 1 } }),
        )
      ).message,
    ).toBe(`Change request #${number} does not change payments-backends.`);
    const other = await as(CHECKOUT_VIEWER);
    expect((await failure(other.reviews.comment({ number, body: "hello" }))).code).toBe("NOT_FOUND");
    expect((await failure(other.reviews.comments({ number }))).code).toBe("NOT_FOUND");
    expect((await failure(other.reviews.timeline({ number }))).code).toBe("NOT_FOUND");
    expect(await comments()).toBe(before);
    expect((await auditEventsAfter(db(), head)).map((e) => e.action)).toEqual(Array(6).fill("mutation.refused"));
  });

  it("tells the change's story: proposed, approvals, an edit voiding one, comments, changes requested, resubmitted, approved, released", async () => {
    const { name, number, contentHash } = await proposed("timeline");
    const author = await as(AUTHOR);
    const security = await as(SECURITY);
    await security.workflow.approve({ number, contentHash });
    await security.reviews.comment({ number, body: "Please narrow the port." });
    const latest = (await author.policies.get({ name })).versions.at(-1)!;
    const document = parseYaml(latest.yaml) as { metadata: Record<string, unknown> };
    await author.policies.saveDraft({
      policyName: name,
      baseVersion: latest.version,
      yaml: documentToYaml({ ...document, metadata: { ...document.metadata, description: "narrowed" } }),
      message: "",
    });
    const edited = await author.workflow.edit({ number, contentHash });
    await security.workflow.requestChanges({ number, reason: "Say why in the description." });
    await author.workflow.submit({ number, reason: "done" });
    await security.workflow.approve({ number, contentHash: edited.contentHash });
    await (await as(COMMITTEE)).workflow.approve({ number, contentHash: edited.contentHash });
    const admin = await as(ADMIN);
    const { release } = await admin.workflow.release({ number });

    const timeline = await (await as(VIEWER)).reviews.timeline({ number });
    expect(timeline.map((e) => [e.kind, e.actor, e.summary, e.state])).toEqual([
      ["proposed", AUTHOR, `proposed 1 policy (content ${contentHash.slice(0, 12)})`, null],
      ["approval", SECURITY, `approved content ${contentHash.slice(0, 12)} (security)`, null],
      ["comment", SECURITY, "commented", null],
      ["edited", AUTHOR, `edited the content (${contentHash.slice(0, 12)} → ${edited.contentHash.slice(0, 12)}), voiding 1 approval`, null],
      ["approval-voided", SECURITY, `${SECURITY}'s approval voided: the content changed`, null],
      ["state", SECURITY, "requested changes → changes-requested", "changes-requested"],
      ["state", AUTHOR, "resubmitted it → in-review", "in-review"],
      ["approval", SECURITY, `approved content ${edited.contentHash.slice(0, 12)} (security)`, null],
      ["approval", COMMITTEE, `approved content ${edited.contentHash.slice(0, 12)} (application)`, null],
      ["state", COMMITTEE, "gave the last approval the rules need → approved", "approved"],
      ["release", ADMIN, `released it as release ${release}`, "released"],
    ]);
    expect(timeline[2]!.detail).toBe("Please narrow the port.");
    expect(timeline[5]!.detail).toBe("Say why in the description.");
  });
});
