// Rebase (issue 13 item 6): two change requests on one policy. After the first
// is released, the second is merged three ways onto the release: a clean merge
// keeps both changes, a conflict goes to the author, and neither an edit nor a
// release can carry the stale draft over the release's changes (no lost update).
import { and, eq } from "drizzle-orm";
import { parse as parseYaml } from "yaml";
import { describe, expect, it } from "vitest";
import { changeRequestApprovals, policies, policyVersions } from "@/db/schema";
import { testDatabaseKind } from "@/db/testing";
import { documentToYaml } from "@/lib/policy-yaml";
import { verifyAuditTrail } from "@/server/audit/query";
import { auditEventsAfter, auditHead } from "@/server/testing/audit-events";
import { callerFor } from "@/server/testing/actors";
import { useSeededDatabase } from "@/server/testing/database";
import { paymentsEgressYaml } from "@/server/testing/policies";
import { trpcFailure as failure } from "@/server/testing/trpc";

const ADMIN = "alex.admin@acme.example";
const AUTHOR = "priya.payments@acme.example";
const SECURITY = "sam.security@acme.example";
const PAYMENTS_COMMITTEE = "dana.payments-committee@acme.example";

/** The parts of the test policy the changes edit. */
interface Doc {
  metadata: { description: string };
  spec: { rules: { ports: { port: number }[] }[] };
}

describe(`rebase onto a newer release on ${testDatabaseKind()}`, () => {
  const database = useSeededDatabase();
  const db = () => database().db;
  const as = (email: string) => callerFor(db(), email);

  /** Saves `edit` of the latest version (the editor's way) or of `from` (restored first, so the draft skips what came between). */
  async function draft(name: string, edit: (doc: Doc) => void, from?: number): Promise<number> {
    const caller = await as(AUTHOR);
    if (from !== undefined) await caller.policies.restoreVersion({ policyName: name, version: from });
    const latest = (await caller.policies.get({ name })).versions.at(-1)!;
    const document = parseYaml(latest.yaml) as Doc;
    edit(document);
    return (await caller.policies.saveDraft({ policyName: name, baseVersion: latest.version, yaml: documentToYaml(document), message: "" }))
      .version;
  }

  async function propose(name: string, title: string) {
    const { number } = await (await as(AUTHOR)).policies.proposeChange({ title, description: "", policies: [name] });
    return (await as(AUTHOR)).workflow.review({ number });
  }

  async function approve(number: number) {
    const { contentHash } = await (await as(AUTHOR)).workflow.review({ number });
    await (await as(SECURITY)).workflow.approve({ number, contentHash, comment: "" });
    await (await as(PAYMENTS_COMMITTEE)).workflow.approve({ number, contentHash, comment: "" });
  }

  const released = async (name: string) => {
    const [row] = await db()
      .select({ document: policyVersions.document })
      .from(policyVersions)
      .innerJoin(policies, and(eq(policies.id, policyVersions.policyId), eq(policyVersions.version, policies.releasedVersion)))
      .where(eq(policies.name, name));
    return row!.document as unknown as Doc;
  };

  let made = 0;
  /**
   * A payments policy in force at version 1 (port 443, description "original"). Set as the demo seed sets its
   * policies, not through a release: the releases under test are the ones below (each takes seconds on a busy machine).
   */
  async function releasedPolicy(): Promise<string> {
    const name = `rebase-test-${++made}`;
    await (
      await as(AUTHOR)
    ).policies.saveDraft({
      policyName: null,
      baseVersion: null,
      yaml: paymentsEgressYaml(name, { description: "original" }),
      message: "",
    });
    await db().update(policies).set({ releasedVersion: 1 }).where(eq(policies.name, name));
    return name;
  }

  it("merges a change written beside the release cleanly, keeping both, and never lets the stale draft be edited or released over it", async () => {
    const name = await releasedPolicy();
    // Change A edits the description; change B (restored from the release) opens port 8443: neither holds the other.
    await draft(name, (d) => (d.metadata.description = "edited by change A"));
    const a = await propose(name, "A: description");
    const bVersion = await draft(name, (d) => (d.spec.rules[0]!.ports[0]!.port = 8443), 1);
    const b = await propose(name, "B: port");
    await approve(a.number);
    await approve(b.number);
    await (await as(ADMIN)).workflow.release({ number: a.number });

    // The lost update refused: B cannot be released, nor edited onto the release.
    expect((await failure((await as(ADMIN)).workflow.release({ number: b.number }))).message).toMatch(/must be rebased/);
    // A title edit leaves the stale item where it is.
    const titled = await (await as(AUTHOR)).workflow.edit({ number: b.number, contentHash: b.contentHash, title: "B: port 8443" });
    expect(titled.contentHash).toBe(b.contentHash);
    await draft(name, (d) => (d.metadata.description = "a later draft"));
    const edit = await failure((await as(AUTHOR)).workflow.edit({ number: b.number, contentHash: b.contentHash }));
    expect(edit.code).toBe("CONFLICT");
    expect(edit.message).toMatch(
      new RegExp(`must be rebased before it takes new drafts: ${name} was proposed from v1, but v2 has been released`),
    );

    const plan = await (await as(AUTHOR)).workflow.rebasePlan({ number: b.number });
    expect(plan.policies).toHaveLength(1);
    expect(plan.policies[0]).toMatchObject({ policy: name, proposedFrom: 1, base: { version: 1 }, release: { version: 2 }, conflicts: 0 });
    expect(plan.policies[0]!.draft.version).toBe(bVersion);
    expect(plan.policies[0]!.merged).toMatch(/description: edited by change A/);
    expect(plan.policies[0]!.merged).toMatch(/port: 8443/);

    // Only the author (or an admin) rebases.
    expect((await failure((await as(SECURITY)).workflow.rebase({ number: b.number, contentHash: b.contentHash }))).code).toBe("FORBIDDEN");
    const head = await auditHead(db());
    const rebased = await (await as(AUTHOR)).workflow.rebase({ number: b.number, contentHash: b.contentHash });
    expect(rebased).toMatchObject({ state: "in-review", voided: 2 });
    expect(rebased.rebased).toEqual([
      { policy: name, proposedFrom: 1, base: 1, onto: 2, draft: bVersion, version: bVersion + 2, resolvedBy: "merge" },
    ]);
    const voided = await db().select().from(changeRequestApprovals).where(eq(changeRequestApprovals.contentHash, b.contentHash));
    expect(voided.every((v) => v.voidedReason?.startsWith("the change was rebased"))).toBe(true);
    const events = await auditEventsAfter(db(), head);
    expect(events.map((e) => e.action)).toEqual(["policy.draft_saved", "change.edit"]);
    expect((events[1]!.after as { rebased: unknown[] }).rebased).toHaveLength(1);
    const timeline = await (await as(SECURITY)).reviews.timeline({ number: b.number });
    const at = timeline.findIndex((e) => e.summary.startsWith("rebased"));
    expect(timeline[at]).toMatchObject({
      kind: "edited",
      summary: `rebased onto the current release (${name} onto v2, merged), voiding 2 approvals; back to in-review`,
    });
    // The voided approvals follow it, in no particular order.
    expect(
      timeline
        .slice(at + 1, at + 3)
        .map((e) => [e.kind, e.summary])
        .sort(),
    ).toEqual([
      ["approval-voided", `${PAYMENTS_COMMITTEE}'s approval voided: the content changed`],
      ["approval-voided", `${SECURITY}'s approval voided: the content changed`],
    ]);
    // Rebased once, there is nothing more to rebase; the old hash is refused.
    expect((await failure((await as(AUTHOR)).workflow.rebase({ number: b.number, contentHash: rebased.contentHash }))).message).toMatch(
      /needs no rebase/,
    );
    expect((await failure((await as(AUTHOR)).workflow.rebase({ number: b.number, contentHash: b.contentHash }))).message).toMatch(
      /changed by someone else/,
    );

    await approve(b.number);
    await (await as(ADMIN)).workflow.release({ number: b.number });
    const now = await released(name);
    expect(now.metadata.description).toBe("edited by change A");
    expect(now.spec.rules[0]!.ports[0]!.port).toBe(8443);
    expect(await verifyAuditTrail(db())).toMatchObject({ ok: true });
  }, 240_000);

  it("shows a conflict to the author and takes only a resolution without markers, onto the release it was resolved against", async () => {
    const name = await releasedPolicy();
    await draft(name, (d) => (d.metadata.description = "release wording"));
    const a = await propose(name, "A");
    await draft(name, (d) => (d.metadata.description = "author wording"), 1);
    const b = await propose(name, "B");
    await approve(a.number);
    await (await as(ADMIN)).workflow.release({ number: a.number });

    const plan = (await (await as(AUTHOR)).workflow.rebasePlan({ number: b.number })).policies[0]!;
    expect(plan).toMatchObject({ conflicts: 1, merged: null });
    expect(plan.hunks.find((h) => h.kind === "conflict")).toEqual({
      kind: "conflict",
      draft: ["  description: author wording"],
      base: ["  description: original"],
      release: ["  description: release wording"],
    });
    expect(plan.withMarkers).toContain("<<<<<<< your change");

    const head = await auditHead(db());
    const unresolved = await failure((await as(AUTHOR)).workflow.rebase({ number: b.number, contentHash: b.contentHash }));
    expect(unresolved.code).toBe("CONFLICT");
    expect(unresolved.message).toMatch(new RegExp(`${name} has 1 conflict between your change and the release`));
    const markers = await failure(
      (await as(AUTHOR)).workflow.rebase({
        number: b.number,
        contentHash: b.contentHash,
        resolutions: [{ policy: name, onto: 2, yaml: plan.withMarkers }],
      }),
    );
    expect(markers.code).toBe("BAD_REQUEST");
    expect(markers.message).toMatch(new RegExp(`${name}: conflict markers are still in the YAML at lines \\d+, \\d+, \\d+, \\d+`));
    const resolvedYaml = plan.withMarkers.replace(/<<<<<<< .*\n.*\n\|\|\|\|\|\|\| .*\n.*\n=======\n(.*)\n>>>>>>> .*\n/, "$1\n");
    const wrongOnto = await failure(
      (await as(AUTHOR)).workflow.rebase({
        number: b.number,
        contentHash: b.contentHash,
        resolutions: [{ policy: name, onto: 1, yaml: resolvedYaml }],
      }),
    );
    expect(wrongOnto.message).toMatch(/released again since you resolved it/);
    const other = await failure(
      (await as(AUTHOR)).workflow.rebase({
        number: b.number,
        contentHash: b.contentHash,
        resolutions: [{ policy: "no-such-policy", onto: 2, yaml: resolvedYaml }],
      }),
    );
    expect(other.message).toMatch(/resolutions\[0\]\.policy: no-such-policy is not a policy of change/);
    const invalid = await failure(
      (await as(AUTHOR)).workflow.rebase({
        number: b.number,
        contentHash: b.contentHash,
        resolutions: [{ policy: name, onto: 2, yaml: resolvedYaml.replace("tier: namespace", "tier: galactic") }],
      }),
    );
    expect(invalid.code).toBe("BAD_REQUEST");
    expect(invalid.message).toMatch(new RegExp(`^${name}: spec.tier`));
    // Nothing written but the trail of the refusals.
    expect((await auditEventsAfter(db(), head)).map((e) => e.action)).toEqual(Array(5).fill("mutation.refused"));

    const rebased = await (
      await as(AUTHOR)
    ).workflow.rebase({
      number: b.number,
      contentHash: b.contentHash,
      resolutions: [{ policy: name, onto: 2, yaml: resolvedYaml }],
    });
    expect(rebased.rebased[0]).toMatchObject({ policy: name, onto: 2, resolvedBy: "author" });
    const detail = await (await as(AUTHOR)).changes.get({ number: b.number });
    expect(detail.items[0]).toMatchObject({ fromVersion: 2, toVersion: rebased.rebased[0]!.version });
    expect(detail.items[0]!.toYaml).toContain("description: release wording");
  }, 240_000);

  it("moves only the base of a draft written on top of the release (no new version, no conflict)", async () => {
    const name = await releasedPolicy();
    await draft(name, (d) => (d.metadata.description = "first"));
    const a = await propose(name, "A");
    // Written in the editor after A's draft: it holds A's change.
    const v3 = await draft(name, (d) => (d.spec.rules[0]!.ports[0]!.port = 9443));
    const b = await propose(name, "B");
    await approve(a.number);
    await (await as(ADMIN)).workflow.release({ number: a.number });
    const plan = (await (await as(AUTHOR)).workflow.rebasePlan({ number: b.number })).policies[0]!;
    expect(plan).toMatchObject({ proposedFrom: 1, base: { version: 2 }, release: { version: 2 }, conflicts: 0 });
    const rebased = await (await as(AUTHOR)).workflow.rebase({ number: b.number, contentHash: b.contentHash });
    expect(rebased.rebased).toEqual([{ policy: name, proposedFrom: 1, base: 2, onto: 2, draft: v3, version: v3, resolvedBy: "merge" }]);
    expect((await (await as(AUTHOR)).changes.get({ number: b.number })).items[0]).toMatchObject({ fromVersion: 2, toVersion: v3 });
  }, 240_000);
});
