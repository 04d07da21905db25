// Rollback (issue 13 §8): a change request of kind rollback makes a new
// release equal to an earlier one, approved like any change; the emergency
// rule's faster path is flagged in the audit trail and leaves a review that a
// reviewer (never the releaser) must acknowledge.
import { TRPCError } from "@trpc/server";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditEvents, changeRequests, emergencyReviews, policies, releases } from "@/db/schema";
import { testDatabaseKind } from "@/db/testing";
import { callerFor } from "@/server/testing/actors";
import { useSeededDatabase } from "@/server/testing/database";
import { paymentsEgressYaml } from "@/server/testing/policies";

const ADMIN = "alex.admin@acme.example";
const AUTHOR = "priya.payments@acme.example";
const SECURITY = "sam.security@acme.example";
const PAYMENTS_COMMITTEE = "dana.payments-committee@acme.example";
const REASON = "The new egress rule broke checkout in production";

describe(`rollback on ${testDatabaseKind()}`, () => {
  const database = useSeededDatabase();
  const db = () => database().db;
  const as = (email: string) => callerFor(db(), email);

  /** Drafts `name` (a new policy, or a new version of it) at `port`, and releases it with the usual approvals. */
  async function release(name: string, port: number): Promise<number> {
    const author = await as(AUTHOR);
    const existing = await author.policies.get({ name }).catch(() => null);
    const latest = existing?.versions.at(-1);
    await author.policies.saveDraft({
      policyName: latest ? name : null,
      baseVersion: latest?.version ?? null,
      yaml: paymentsEgressYaml(name, { port }),
      message: "",
    });
    const { number } = await author.policies.proposeChange({ title: `${name} on ${port}`, description: "", policies: [name] });
    await approve(number);
    return (await (await as(ADMIN)).workflow.release({ number })).release;
  }

  async function approve(number: number, who = [SECURITY, PAYMENTS_COMMITTEE]) {
    const { contentHash } = await (await as(ADMIN)).workflow.review({ number });
    for (const email of who) await (await as(email)).workflow.approve({ number, contentHash });
  }

  async function failure(p: Promise<unknown>): Promise<TRPCError> {
    const error = await p.then(
      () => null,
      (e: unknown) => e,
    );
    if (!(error instanceof TRPCError)) throw new Error(`expected a refusal, got ${String(error)}`);
    return error;
  }

  const releaseRow = async (number: number) => (await db().select().from(releases).where(eq(releases.number, number)))[0]!;
  const releasedVersion = async (name: string) =>
    (await db().select({ v: policies.releasedVersion }).from(policies).where(eq(policies.name, name)))[0]!.v;

  it("makes a new release equal to release N only after approval like a change: versions moved back, later policies taken out", async () => {
    const target = await release("rb-api", 8443);
    await release("rb-api", 9443);
    await release("rb-later", 7443);
    const admin = await as(ADMIN);
    const proposed = await admin.releases.rollback({ release: target, reason: REASON });
    expect(proposed).toMatchObject({ state: "in-review", rollbackTo: target });
    const [cr] = await db().select().from(changeRequests).where(eq(changeRequests.number, proposed.number));
    expect(cr!.title).toBe(`Roll back to release ${target}`);
    // The admin who proposed it is its author: never its approver, and it does not release unapproved.
    expect((await failure(admin.workflow.approve({ number: proposed.number, contentHash: proposed.contentHash }))).code).toBe("FORBIDDEN");
    expect((await failure(admin.workflow.release({ number: proposed.number }))).message).toMatch(
      /approvals missing: 1 × application \(namespace-tier\), 1 × security/,
    );
    expect(
      (await failure(admin.workflow.edit({ number: proposed.number, contentHash: proposed.contentHash, title: "x" }))).message,
    ).toMatch(/rolls back to release \d+ and cannot be edited/);
    await approve(proposed.number);
    const { release: made } = await admin.workflow.release({ number: proposed.number });
    const [was, now] = [await releaseRow(target), await releaseRow(made)];
    expect(now.policySetHash).toBe(was.policySetHash);
    expect(now.rollbackTo).toBe(target);
    expect(await releasedVersion("rb-api")).toBe(1);
    expect(await releasedVersion("rb-later")).toBeNull();
    expect(await admin.releases.get({ number: made })).toMatchObject({ rollbackTo: target, emergencyReason: null, emergencyReview: null });
    // It rolls out like any release.
    expect((await admin.releases.rollout({ number: made }))!.state).toBe("not-started");
    const [proposedEvent] = await db()
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, "change.rollback_proposed"), eq(auditEvents.targetId, cr!.id)));
    expect(proposedEvent!.after).toMatchObject({
      rollbackTo: target,
      reason: REASON,
      items: expect.arrayContaining([
        { policy: "rb-api", fromVersion: 2, toVersion: 1 },
        { policy: "rb-later", fromVersion: 1, toVersion: null },
      ]),
    });
  });

  it("refuses a rollback to the current release, to no release, and to anyone but an admin", async () => {
    const current = await release("rb-now", 6443);
    const admin = await as(ADMIN);
    expect((await failure(admin.releases.rollback({ release: current, reason: REASON }))).message).toMatch(/is the current release/);
    expect((await failure(admin.releases.rollback({ release: 99_999, reason: REASON }))).code).toBe("NOT_FOUND");
    expect((await failure(admin.releases.rollback({ release: current, reason: "oops" }))).code).toBe("BAD_REQUEST");
    expect((await failure((await as(SECURITY)).releases.rollback({ release: 1, reason: REASON }))).code).toBe("FORBIDDEN");
  });

  it("refuses to release a rollback once another release was made after it was proposed", async () => {
    const target = await release("rb-stale", 5443);
    await release("rb-stale", 5444);
    const admin = await as(ADMIN);
    const proposed = await admin.releases.rollback({ release: target, reason: REASON });
    await approve(proposed.number);
    await release("rb-other", 5445);
    expect((await failure(admin.workflow.release({ number: proposed.number }))).message).toMatch(
      new RegExp(`has been made since: propose the rollback again from the current release`),
    );
  });

  it("releases a rollback through the emergency rule, flagged in the audit trail, owing a review a reviewer acknowledges later", async () => {
    const target = await release("rb-emergency", 4443);
    await release("rb-emergency", 4444);
    const admin = await as(ADMIN);
    const proposed = await admin.releases.rollback({ release: target, reason: REASON });
    await approve(proposed.number, [SECURITY]);
    const reason = "Checkout is down: roll back now, review after";
    const { release: made } = await admin.workflow.release({ number: proposed.number, emergency: { reason } });
    const row = await releaseRow(made);
    expect(row).toMatchObject({ emergencyReason: reason, rollbackTo: target });
    const [created] = await db()
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, "release.created"), eq(auditEvents.targetId, row.id)));
    expect(created!.after).toMatchObject({ emergency: { reason, approvedBy: [SECURITY] }, emergencyReview: "open", rollbackTo: target });
    expect(await admin.releases.get({ number: made })).toMatchObject({ emergencyReview: { open: true, acknowledgedBy: null } });

    const note = "Reviewed with security: the rollback was right";
    expect((await failure(admin.releases.acknowledgeEmergencyReview({ number: made, note }))).message).toMatch(
      /You made emergency release/,
    );
    expect((await failure((await as(AUTHOR)).releases.acknowledgeEmergencyReview({ number: made, note }))).code).toBe("FORBIDDEN");
    expect((await failure(admin.releases.acknowledgeEmergencyReview({ number: target, note }))).message).toMatch(/owes no review/);
    expect(await (await as(SECURITY)).releases.acknowledgeEmergencyReview({ number: made, note })).toEqual({
      number: made,
      acknowledgedBy: SECURITY,
    });
    expect((await failure((await as(SECURITY)).releases.acknowledgeEmergencyReview({ number: made, note }))).message).toMatch(
      /already acknowledged by sam.security@acme.example/,
    );
    const [review] = await db().select().from(emergencyReviews).where(eq(emergencyReviews.releaseId, row.id));
    expect(review).toMatchObject({ acknowledgedByLabel: SECURITY, note });
    expect(await admin.releases.get({ number: made })).toMatchObject({ emergencyReview: { open: false, acknowledgedBy: SECURITY, note } });
  });

  it("asks every committee function for a rollback that takes a compliance constraint out, as for any loosening change", async () => {
    const admin = await as(ADMIN);
    // The current release (newest first), or a first one when this test runs alone.
    const before = (await admin.releases.list())[0]?.number ?? (await release("rb-base", 6443));
    // A new constraint (a new guardrail: the global-tier rule), released with 2 × security + 1 × networking.
    await admin.policies.saveDraft({
      policyName: null,
      baseVersion: null,
      yaml: [
        "apiVersion: policyplane.io/v1",
        "kind: ComplianceConstraint",
        "metadata:",
        "  name: rb-no-test-net",
        "  owner: security-committee",
        "  description: No cardholder-data system reaches the documentation network.",
        "spec:",
        "  subject:",
        "    namespaceSelector:",
        "      matchLabels:",
        '        pci: "true"',
        "  direction: egress",
        "  peers:",
        "    - cidr: 198.51.100.0/24",
        "  rationale: Rollback test",
        "",
      ].join("\n"),
      message: "",
    });
    const { number } = await admin.policies.proposeChange({ title: "a new guardrail", description: "", policies: ["rb-no-test-net"] });
    expect((await admin.workflow.review({ number })).rules.map((r) => r.rule)).toEqual(["global-regional-tier"]);
    await approve(number, [SECURITY, "lena.security@acme.example", "nina.network@acme.example"]);
    const { release: made } = await admin.workflow.release({ number });
    expect(made).toBe(before + 1);

    // Rolling back to the release before it takes the constraint out: the loosening rule, every function.
    const rollback = await admin.releases.rollback({ release: before, reason: REASON });
    const review = await admin.workflow.review({ number: rollback.number });
    expect(review.rules.map((r) => r.rule).sort()).toEqual(["global-regional-tier", "loosen-constraint"]);
    expect(review.rules.find((r) => r.rule === "loosen-constraint")!.required.map((r) => r.function)).toEqual([
      "security",
      "networking",
      "platform",
      "application",
    ]);
    expect(review.rules.find((r) => r.rule === "loosen-constraint")!.policies).toEqual(["rb-no-test-net"]);
    expect(review.rollback).toEqual({ targetRelease: before, baseRelease: made });
    await admin.workflow.withdraw({ number: rollback.number, reason: "kept" });
  }, 180_000);
});
