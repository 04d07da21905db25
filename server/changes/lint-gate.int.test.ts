// Lint errors block submission (issue 13 §2): proposing, submitting,
// resubmitting or editing in review a change whose lint has an error is
// refused with the policy, line and finding, and nothing is written; a
// warning never blocks.
import { count, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { changeRequests, policies, policyVersions } from "@/db/schema";
import { auditEventsAfter, auditHead } from "@/server/testing/audit-events";
import { testDatabaseKind } from "@/db/testing";
import { InvalidInput } from "@/server/errors";
import { callerFor, demoActor } from "@/server/testing/actors";
import { useSeededDatabase } from "@/server/testing/database";
import { paymentsEgressYaml } from "@/server/testing/policies";
import { trpcFailure } from "@/server/testing/trpc";
import { createChangeRequest } from "@/server/workflow/create";
import { lintErrorsOf } from "./impact-service";

const AUTHOR = "priya.payments@acme.example";

/** Payments reaching Stripe directly, not through the PCI egress gateway: the PCI constraint denies it (a constraint-conflict error, on line 20). */
const conflicting = (name: string) => paymentsEgressYaml(name, { via: null });
/** A subject that selects no workload: a no-match warning only. */
const unmatched = (name: string) => paymentsEgressYaml(name).replace("app: payments-api", "app: no-such-workload");

describe(`lint errors block submission on ${testDatabaseKind()}`, () => {
  const database = useSeededDatabase();
  const db = () => database().db;
  const as = (email: string) => callerFor(db(), email);
  const written = async () => ({
    changes: (await db().select({ n: count() }).from(changeRequests))[0]!.n,
    versions: (await db().select({ n: count() }).from(policyVersions))[0]!.n,
  });
  const saveNew = async (yaml: string) => (await as(AUTHOR)).policies.saveDraft({ policyName: null, baseVersion: null, yaml, message: "" });
  const saveOver = async (name: string, yaml: string) => {
    const author = await as(AUTHOR);
    const latest = (await author.policies.get({ name })).versions.at(-1)!;
    return author.policies.saveDraft({ policyName: name, baseVersion: latest.version, yaml, message: "" });
  };
  const rest = async (input: { title: string; documents: string[]; draft?: boolean }) =>
    createChangeRequest({
      ctx: { db: db(), actor: await demoActor(db(), AUTHOR), requestId: "lint-gate-test" },
      input: { description: "", draft: false, ...input },
    });

  it("refuses to propose a policy the PCI constraint denies, naming the policy, line and finding, and writes nothing", async () => {
    await saveNew(conflicting("lint-sms"));
    const before = await written();
    const head = await auditHead(db());
    const error = await trpcFailure((await as(AUTHOR)).policies.proposeChange({ title: "SMS", description: "", policies: ["lint-sms"] }));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toMatch(
      /^This change cannot go to review: the lint finds 1 error\(s\) to fix first: Policy\/lint-sms line 20 \(spec\.rules\[0\]\.peers\[0\]\): constraint-conflict: ComplianceConstraint\/pci-egress-through-gateway denies/,
    );
    expect(await written()).toEqual(before);
    // Only the refusal is on record.
    expect((await auditEventsAfter(db(), head)).map((e) => e.action)).toEqual(["mutation.refused"]);
  }, 180_000);

  it("lets a change with only warnings go to review", async () => {
    await saveNew(unmatched("lint-unmatched"));
    const proposed = await (await as(AUTHOR)).policies.proposeChange({ title: "Unmatched", description: "", policies: ["lint-unmatched"] });
    // The submission's lint (kept since the proposal) found the warning, and no error.
    const [policy] = await db().select().from(policies).where(eq(policies.name, "lint-unmatched"));
    const lint = await lintErrorsOf(
      db(),
      [{ policyId: policy!.id, version: policy!.latestVersion }],
      [{ kind: "Policy", name: "lint-unmatched" }],
    );
    expect(lint.findings).toContainEqual(
      expect.objectContaining({ id: "no-match", severity: "warning", document: "Policy/lint-unmatched" }),
    );
    expect(lint.errors).toEqual([]);
    expect((await (await as(AUTHOR)).workflow.review({ number: proposed.number })).state).toBe("in-review");
  }, 180_000);

  it("refuses the REST proposal with the document that carries the error, and keeps none of its drafts", async () => {
    const before = await written();
    const head = await auditHead(db());
    const error = await rest({ title: "CI SMS", documents: [paymentsEgressYaml("lint-rest-ok"), conflicting("lint-rest-sms")] }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InvalidInput);
    expect((error as InvalidInput).field).toBe("documents.1");
    expect((error as InvalidInput).position).toEqual({ line: 20, column: 1 });
    expect((error as InvalidInput).message).toContain("Policy/lint-rest-sms line 20");
    expect(await written()).toEqual(before);
    expect(await auditEventsAfter(db(), head)).toEqual([]);
    expect(await db().select().from(policies).where(eq(policies.name, "lint-rest-sms"))).toEqual([]);
  }, 180_000);

  it("holds a draft request with an error, refuses its submission, and submits it once an edit fixes it", async () => {
    const held = await rest({ title: "Held SMS", documents: [conflicting("lint-held")], draft: true });
    expect(held.state).toBe("draft");
    const author = await as(AUTHOR);
    const refused = await trpcFailure(author.workflow.submit({ number: held.number, reason: "" }));
    expect(refused.code).toBe("BAD_REQUEST");
    expect(refused.message).toMatch(
      new RegExp(`^Change request #${held.number} cannot go to review: .*Policy/lint-held line 20 .*constraint-conflict`),
    );
    expect((await author.workflow.review({ number: held.number })).state).toBe("draft");

    // The same policy a second time: the lint of this content is remembered, the fixed content is linted anew.
    await saveOver("lint-held", paymentsEgressYaml("lint-held"));
    const edited = await author.workflow.edit({ number: held.number, contentHash: held.contentHash });
    expect(edited.state).toBe("draft");
    await expect(author.workflow.submit({ number: held.number, reason: "" })).resolves.toMatchObject({ state: "in-review" });
  }, 180_000);

  it("refuses an edit that brings a lint error into a change in review, and keeps its content", async () => {
    await saveNew(paymentsEgressYaml("lint-edit"));
    const author = await as(AUTHOR);
    const proposed = await author.policies.proposeChange({ title: "Edit me", description: "", policies: ["lint-edit"] });
    const review = await author.workflow.review({ number: proposed.number });
    await saveOver("lint-edit", conflicting("lint-edit"));
    const refused = await trpcFailure(author.workflow.edit({ number: proposed.number, contentHash: review.contentHash }));
    expect(refused.code).toBe("BAD_REQUEST");
    expect(refused.message).toContain("Policy/lint-edit line 20 (spec.rules[0].peers[0]): constraint-conflict");
    const after = await author.workflow.review({ number: proposed.number });
    expect(after).toMatchObject({ state: "in-review", contentHash: review.contentHash });
  }, 180_000);
});
