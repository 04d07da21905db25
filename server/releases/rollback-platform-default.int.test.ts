// A release is its policy set and the platform default its clusters compile it with: rolling back
// to release N restores N's default (a new version naming the rollback's release, audited, under
// the approval rules as any platform default change), and the release hash covers the default.
import { and, eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { auditEvents, releases } from "@/db/schema";
import { testDatabaseKind } from "@/db/testing";
import { callerFor, DEMO_PEOPLE } from "@/server/testing/actors";
import { auditEventsAfter, auditHead } from "@/server/testing/audit-events";
import { useSeededDatabase } from "@/server/testing/database";
import { platformDefaultObjects } from "@/server/testing/platform-default";
import { releasePaymentsPolicy } from "@/server/testing/release";
import { trpcFailure } from "@/server/testing/trpc";

const ADMIN = DEMO_PEOPLE.admin;
const SECURITY = [DEMO_PEOPLE.security, "lena.security@acme.example"];
const NETWORKING = DEMO_PEOPLE.networking;
const PLATFORM = "pat.platform@acme.example";
const APPLICATION = DEMO_PEOPLE.paymentsCommittee;
const EVERY_FUNCTION = [...SECURITY, NETWORKING, PLATFORM, APPLICATION];
const REASON = "Turning the default off opened paths nobody had reviewed";
const CLUSTER = "prod-eu-1";

describe(`rolling back the platform default on ${testDatabaseKind()}`, () => {
  const database = useSeededDatabase();
  const db = () => database().db;
  const as = (email: string) => callerFor(db(), email);
  const releaseRow = async (number: number) => (await db().select().from(releases).where(eq(releases.number, number)))[0]!;
  const approve = async (number: number, contentHash: string, who: string[]) => {
    for (const email of who) await (await as(email)).workflow.approve({ number, contentHash });
  };

  let on: number;
  let off: number;
  beforeAll(async () => {
    // Release `on`: a policy, with the platform default as the seed has it (version 1, on everywhere).
    on = (await releasePaymentsPolicy(db(), "rbpd-api")).release;
    // Release `off`: the same policy set, the platform default turned off.
    const admin = await as(ADMIN);
    const { current } = await admin.settings.platformDefault();
    const turnOff = await admin.settings.proposePlatformDefault({
      enabled: false,
      excludeNamespaces: [],
      message: "Every team writes its own deny rules now",
      expectedVersion: current.version,
    });
    await approve(turnOff.number, turnOff.contentHash, EVERY_FUNCTION);
    off = (await admin.workflow.release({ number: turnOff.number })).release;
  }, 180_000);

  it("hashes two releases that differ only by the platform default differently", async () => {
    const [a, b] = [await releaseRow(on), await releaseRow(off)];
    expect(a.policySetHash).not.toBe(b.policySetHash);
    expect(await platformDefaultObjects(db(), CLUSTER)).toEqual([]);
  });

  it("shows the platform default in the release diff, beside the (equal) policies", async () => {
    const diff = await (await as(ADMIN)).releases.diff({ from: on, to: off });
    expect(diff.policies).toEqual([]);
    expect(diff.samePolicySet).toBe(false);
    expect(diff.platformDefault).toMatchObject({
      from: { setting: "on, every namespace" },
      to: { setting: "off" },
      changes: ["turns it off"],
    });
    expect(diff.platformDefault.to.version).toBeGreaterThan(diff.platformDefault.from.version);
    const back = await (await as(ADMIN)).releases.diff({ from: off, to: on });
    expect(back.platformDefault.changes).toEqual(["turns it on"]);
  });

  it("rolls back to a release whose default was on: the default is on again, as a new version naming the rollback's release", async () => {
    const admin = await as(ADMIN);
    const before = (await admin.settings.platformDefault()).current;
    expect(before).toMatchObject({ enabled: false, releaseNumber: off });
    // The policy set is the same: the rollback is the platform default alone, from the version in force.
    const proposed = await admin.releases.rollback({ release: on, reason: REASON });
    const change = await admin.changes.get({ number: proposed.number });
    expect(change.platformDefault).toMatchObject({
      fromVersion: before.version,
      to: { enabled: true, excludeNamespaces: [] },
      loosens: false,
      summary: ["turns it on"],
    });
    // Turning it back on tightens: the global-tier rule alone.
    const review = await admin.workflow.review({ number: proposed.number });
    expect(review.rules.map((r) => r.rule)).toEqual(["global-regional-tier"]);
    expect(review.rollback).toMatchObject({ targetRelease: on, baseRelease: off });
    const [proposedEvent] = await db()
      .select()
      .from(auditEvents)
      .where(
        and(
          eq(auditEvents.action, "change.rollback_proposed"),
          eq(auditEvents.targetLabel, `#${proposed.number} Roll back to release ${on}`),
        ),
      );
    expect(proposedEvent!.after).toMatchObject({
      rollbackTo: on,
      items: [],
      platformDefault: { to: { enabled: true }, restoresVersion: 1 },
    });

    await approve(proposed.number, proposed.contentHash, [...SECURITY, NETWORKING]);
    const head = await auditHead(db());
    const { release: made } = await admin.workflow.release({ number: proposed.number });
    const { current } = await admin.settings.platformDefault();
    expect(current).toMatchObject({ version: before.version + 1, enabled: true, excludeNamespaces: [], releaseNumber: made });
    expect(current.message).toContain(`Release ${made} rolls back to release ${on}'s platform default`);
    // Audited in the release's transaction.
    const events = await auditEventsAfter(db(), head);
    expect(events.find((e) => e.action === "platform-default.changed")!.after).toMatchObject({
      version: before.version + 1,
      enabled: true,
      release: made,
      rollbackTo: on,
      loosens: false,
    });
    // Release `made` is release `on` again: the same hash, and every cluster compiles the default deny again.
    const [was, now] = [await releaseRow(on), await releaseRow(made)];
    expect(now).toMatchObject({ rollbackTo: on, policySetHash: was.policySetHash });
    expect(now.policySetHash).not.toBe((await releaseRow(off)).policySetHash);
    expect((await platformDefaultObjects(db(), CLUSTER)).length).toBeGreaterThan(0);
  }, 180_000);

  it("asks every committee function for a rollback that turns the default off", async () => {
    const admin = await as(ADMIN);
    const proposed = await admin.releases.rollback({ release: off, reason: REASON });
    const review = await admin.workflow.review({ number: proposed.number });
    expect(review.rules.map((r) => r.rule).sort()).toEqual(["global-regional-tier", "loosen-constraint"]);
    expect(review.rules.find((r) => r.rule === "loosen-constraint")!.policies).toEqual(["platform default"]);
    await approve(proposed.number, proposed.contentHash, [...SECURITY, NETWORKING]);
    const early = await trpcFailure(admin.workflow.release({ number: proposed.number }));
    expect(early.message).toMatch(/platform \(loosen-constraint\)/);
    await admin.workflow.withdraw({ number: proposed.number, reason: "kept on" });
    expect((await admin.settings.platformDefault()).current.enabled).toBe(true);
  }, 180_000);
});
