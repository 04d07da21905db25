// Approval rules as data: admins list, create, edit, enable/disable and delete them, each audited;
// a rule no one can ever satisfy (more approvers of a function than people hold it, zero counts,
// unknown functions, one person in two slots) is refused with a specific message and nothing
// written; an edit changes what an open change request asks for; the preview names the rules hit.
import { and, eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { approvalRules, memberships, user } from "@/db/schema";
import { testDatabaseKind } from "@/db/testing";
import { auditEventsAfter, auditHead } from "@/server/testing/audit-events";
import { callerFor } from "@/server/testing/actors";
import { useSeededDatabase } from "@/server/testing/database";
import { paymentsEgressYaml } from "@/server/testing/policies";
import { trpcFailure as failure } from "@/server/testing/trpc";

const ADMIN = "alex.admin@acme.example";
const AUTHOR = "priya.payments@acme.example";
const SECURITY = "sam.security@acme.example";
const NETWORKING = "nina.network@acme.example";
const COMMITTEE = "dana.payments-committee@acme.example";

describe(`approval rules on ${testDatabaseKind()}`, () => {
  const database = useSeededDatabase();
  const db = () => database().db;
  const as = (email: string) => callerFor(db(), email);
  const rule = async (key: string) => (await db().select().from(approvalRules).where(eq(approvalRules.key, key)))[0]!;
  const ruleCount = async () => (await db().select().from(approvalRules)).length;

  beforeAll(async () => {
    expect(await ruleCount()).toBe(5);
  });

  it("lists the seeded defaults to every role holder, each satisfiable by the demo organisation", async () => {
    const rules = await (await as(AUTHOR)).approvalRules.list();
    expect(rules.map((r) => r.key)).toEqual([
      "cluster-baseline-tier",
      "emergency",
      "global-regional-tier",
      "loosen-constraint",
      "namespace-tier",
    ]);
    expect(rules.find((r) => r.key === "global-regional-tier")).toMatchObject({
      match: { tiers: ["global", "regional"] },
      requirements: [
        { function: "security", count: 2, scope: "organisation" },
        { function: "networking", count: 1, scope: "organisation" },
      ],
      enabled: true,
      version: 1,
    });
    // The demo has one security approver: "2 × security" cannot be met until a second one is granted.
    expect(rules.find((r) => r.key === "global-regional-tier")!.unsatisfiable).toMatch(/needs 2 × security, but only 1 person/);
    expect(rules.find((r) => r.key === "namespace-tier")!.unsatisfiable).toBeNull();
  });

  it("refuses, writing nothing but the refusal, a rule needing more networking approvers than people hold the function", async () => {
    const admin = await as(ADMIN);
    const head = await auditHead(db());
    const refused = await failure(
      admin.approvalRules.create({
        key: "three-networking",
        match: { tiers: ["regional"] },
        requirements: [{ function: "networking", count: 3, scope: "organisation" }],
      }),
    );
    expect(refused.code).toBe("BAD_REQUEST");
    expect(refused.message).toBe(
      `No one can ever satisfy rule three-networking. It needs 3 × networking, but only 1 person holds that organisation-wide committee function (${NETWORKING}).`,
    );
    expect(await ruleCount()).toBe(5);
    expect((await auditEventsAfter(db(), head)).map((e) => e.action)).toEqual(["mutation.refused"]);
  });

  it("refuses zero counts, unknown functions, a function asked twice, an empty match and a taken key, each by name", async () => {
    const admin = await as(ADMIN);
    const base = { key: "bad-rule", match: { tiers: ["cluster" as const] } };
    const zero = await failure(
      admin.approvalRules.create({ ...base, requirements: [{ function: "security", count: 0, scope: "organisation" }] }),
    );
    expect(zero.code).toBe("BAD_REQUEST");
    expect(zero.message).toMatch(/at least 1 approver \(0 would ask for nothing\)/);
    const unknown = await failure(
      admin.approvalRules.create({ ...base, requirements: [{ function: "legal" as never, count: 1, scope: "organisation" }] }),
    );
    expect(unknown.message).toMatch(/A committee function is one of security, networking, platform, application/);
    const twice = await failure(
      admin.approvalRules.create({
        ...base,
        requirements: [
          { function: "security", count: 1, scope: "organisation" },
          { function: "security", count: 1, scope: "organisation" },
        ],
      }),
    );
    expect(twice.message).toBe("Rule bad-rule asks for security (organisation) twice: ask once, with the count you need.");
    const nothing = await failure(
      admin.approvalRules.create({ key: "bad-rule", match: {}, requirements: [{ function: "security", count: 1, scope: "organisation" }] }),
    );
    expect(nothing.message).toMatch(/^No one can ever satisfy rule bad-rule\. It matches no change/);
    const emergencyMixed = await failure(
      admin.approvalRules.create({
        key: "bad-rule",
        match: { emergency: true, tiers: ["global"] },
        requirements: [{ function: "security", count: 1, scope: "organisation" }],
      }),
    );
    expect(emergencyMixed.message).toMatch(/give it no tiers, kinds or loosening/);
    const taken = await failure(
      admin.approvalRules.create({
        key: "namespace-tier",
        match: { tiers: ["cluster"] },
        requirements: [{ function: "platform", count: 1, scope: "organisation" }],
      }),
    );
    expect(taken.message).toBe("A rule named namespace-tier already exists.");
    expect(await ruleCount()).toBe(5);
  });

  it("lets only admins write rules", async () => {
    for (const email of [SECURITY, AUTHOR, COMMITTEE]) {
      const refused = await failure(
        (await as(email)).approvalRules.create({
          key: "x",
          match: { tiers: ["cluster"] },
          requirements: [{ function: "platform", count: 1, scope: "organisation" }],
        }),
      );
      expect(refused.code).toBe("FORBIDDEN");
    }
    expect((await failure((await as(SECURITY)).approvalRules.preview({ change: { tier: "global" } }))).code).toBe("FORBIDDEN");
  });

  it("edits a rule: an open change request's checklist follows, a stale version is refused, every step is audited", async () => {
    const author = await as(AUTHOR);
    const name = "rules-edit-test";
    await author.policies.saveDraft({ policyName: null, baseVersion: null, yaml: paymentsEgressYaml(name), message: "" });
    const { number } = await author.policies.proposeChange({ title: "rules edit", description: "", policies: [name] });
    expect((await author.workflow.review({ number })).rules[0]!.required.map((q) => `${q.count} × ${q.function}`)).toEqual([
      "1 × application",
      "1 × security",
    ]);

    const admin = await as(ADMIN);
    const before = await rule("namespace-tier");
    const head = await auditHead(db());
    const saved = await admin.approvalRules.update({
      id: before.id,
      expectedVersion: 1,
      key: "namespace-tier",
      description: "Namespace changes: the tenant's committee, security and networking.",
      match: { tiers: ["namespace"], kinds: ["Policy"] },
      requirements: [...before.requirements, { function: "networking", count: 1, scope: "organisation" }],
      enabled: true,
    });
    expect(saved.version).toBe(2);
    expect((await author.workflow.review({ number })).rules[0]!.required.map((q) => `${q.count} × ${q.function}`)).toEqual([
      "1 × application",
      "1 × security",
      "1 × networking",
    ]);
    const stale = await failure(
      admin.approvalRules.update({
        id: before.id,
        expectedVersion: 1,
        key: "namespace-tier",
        match: { tiers: ["namespace"] },
        requirements: before.requirements,
      }),
    );
    expect(stale.code).toBe("CONFLICT");
    expect(stale.message).toMatch(/was changed meanwhile \(now version 2, by alex\.admin@acme\.example\)/);

    // Disabling leaves the change uncovered; enabling brings it back.
    await admin.approvalRules.setEnabled({ id: before.id, enabled: false, expectedVersion: 2 });
    expect((await author.workflow.review({ number })).uncovered).toEqual([name]);
    await admin.approvalRules.setEnabled({ id: before.id, enabled: true, expectedVersion: 3 });
    expect((await author.workflow.review({ number })).uncovered).toEqual([]);

    const events = await auditEventsAfter(db(), head);
    expect(events.map((e) => e.action)).toEqual([
      "approval-rule.updated",
      "mutation.refused",
      "approval-rule.disabled",
      "approval-rule.enabled",
    ]);
    expect(events[0]!.after).toMatchObject({
      version: 2,
      requirements: expect.arrayContaining([expect.objectContaining({ function: "networking" })]),
    });
  });

  it("refuses to enable a rule no one can satisfy any more, once the people holding its function lost their grant", async () => {
    const admin = await as(ADMIN);
    const created = await admin.approvalRules.create({
      key: "platform-regional",
      description: "Regional changes also need platform.",
      match: { tiers: ["regional"] },
      requirements: [{ function: "platform", count: 1, scope: "organisation" }],
      enabled: false,
    });
    const [pat] = await db().select().from(user).where(eq(user.email, "pat.platform@acme.example"));
    await db()
      .delete(memberships)
      .where(and(eq(memberships.userId, pat!.id), eq(memberships.role, "approver")));
    const refused = await failure(admin.approvalRules.setEnabled({ id: created.id, enabled: true, expectedVersion: 1 }));
    expect(refused.message).toBe(
      "No one can ever satisfy rule platform-regional. It needs 1 × platform, but only 0 people hold that organisation-wide committee function.",
    );
    expect((await rule("platform-regional")).enabled).toBe(false);
    expect((await admin.approvalRules.list()).find((r) => r.key === "platform-regional")!.unsatisfiable).toMatch(/only 0 people/);
    await db().insert(memberships).values({ userId: pat!.id, tenantId: null, role: "approver", committeeFunction: "platform" });

    const head = await auditHead(db());
    await admin.approvalRules.delete({ id: created.id, expectedVersion: 1 });
    expect(await ruleCount()).toBe(5);
    expect((await auditEventsAfter(db(), head)).map((e) => [e.action, e.targetId])).toEqual([["approval-rule.deleted", created.id]]);
    expect((await failure(admin.approvalRules.delete({ id: created.id, expectedVersion: 1 }))).code).toBe("NOT_FOUND");
  });

  it("previews which rules a change request or a described change hits, what each asks and who could give it", async () => {
    const admin = await as(ADMIN);
    const author = await as(AUTHOR);
    const name = "rules-preview-test";
    await author.policies.saveDraft({ policyName: null, baseVersion: null, yaml: paymentsEgressYaml(name), message: "" });
    const { number } = await author.policies.proposeChange({ title: "preview", description: "", policies: [name] });
    await (await as(SECURITY)).workflow.approve({ number, contentHash: (await author.workflow.review({ number })).contentHash });

    const ofChange = await admin.approvalRules.preview({ number });
    expect(ofChange.subject).toBe(`#${number} preview (in-review)`);
    expect(ofChange.rules).toHaveLength(1);
    expect(ofChange.rules[0]).toMatchObject({ rule: "namespace-tier", satisfied: false, policies: [name] });
    expect(ofChange.rules[0]!.required[0]).toMatchObject({
      function: "application",
      tenant: "payments",
      givenBy: [],
      eligible: [COMMITTEE],
    });
    expect(ofChange.rules[0]!.required[1]).toMatchObject({ function: "security", givenBy: [SECURITY], eligible: [SECURITY] });

    const loosening = await admin.approvalRules.preview({
      change: { tier: "global", kind: "ComplianceConstraint", tenant: null, loosensConstraint: true },
    });
    expect(loosening.subject).toBe("a loosening compliance constraint change");
    expect(loosening.rules.map((r) => r.rule)).toEqual(["global-regional-tier", "loosen-constraint"]);
    expect(loosening.rules[1]!.required.map((q) => q.function)).toEqual(["security", "networking", "platform", "application"]);

    const nothing = await admin.approvalRules.preview({ change: { tier: "namespace", tenant: "checkout" } });
    expect(nothing.rules.map((r) => r.rule)).toEqual(["namespace-tier"]);
    expect(nothing.rules[0]!.required[0]).toMatchObject({ function: "application", tenant: "checkout", eligible: [] });
    expect((await failure(admin.approvalRules.preview({ change: { tier: "namespace", tenant: "no-such" } }))).message).toBe(
      "No tenant named no-such.",
    );
    expect((await failure(admin.approvalRules.preview({ change: { tier: "cluster", kind: "ComplianceConstraint" } }))).message).toBe(
      "A compliance constraint is always in the global tier.",
    );
  });
});
