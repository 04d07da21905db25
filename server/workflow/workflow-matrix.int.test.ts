// The workflow's authorisation matrix: every workflow mutation (approval rules
// and comments included) × every kind of person (the change's author, its tenant's committee member, the committees,
// an admin, a viewer, someone scoped to another tenant, no role) on a payments
// change. The whole table is compared at once, so any changed cell fails.
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { memberships, tenants } from "@/db/schema";
import { testDatabaseKind } from "@/db/testing";
import { callerFor } from "@/server/testing/actors";
import { useSeededDatabase } from "@/server/testing/database";
import { insertPasswordUser } from "@/server/users/credentials";
import { paymentsEgressYaml } from "@/server/testing/policies";

const PEOPLE = {
  author: "priya.payments@acme.example",
  "tenant committee": "dana.payments-committee@acme.example",
  security: "sam.security@acme.example",
  networking: "nina.network@acme.example",
  admin: "alex.admin@acme.example",
  viewer: "avery.audit@acme.example",
  "other tenant author": "matrix.checkout.author@acme.example",
  "no role": "matrix.no.role@acme.example",
} as const;
type Person = keyof typeof PEOPLE;
type Mutation =
  | "approve"
  | "requestChanges"
  | "reject"
  | "withdraw"
  | "edit"
  | "submit"
  | "release"
  | "comment"
  | "createRule"
  | "updateRule"
  | "enableRule"
  | "deleteRule";

const row = (ok: Person[], notFound: Person[] = ["other tenant author"]) =>
  Object.fromEntries(
    (Object.keys(PEOPLE) as Person[]).map((p) => [p, ok.includes(p) ? "OK" : notFound.includes(p) ? "NOT_FOUND" : "FORBIDDEN"]),
  );

const EXPECTED: Record<Mutation, Record<string, string>> = {
  approve: row(["tenant committee", "security"]),
  requestChanges: row(["tenant committee", "security", "admin"]),
  reject: row(["tenant committee", "security", "admin"]),
  withdraw: row(["author", "admin"]),
  edit: row(["author", "admin"]),
  submit: row(["author", "admin"]),
  // Refused to everyone but admins before the change is looked up.
  release: row(["admin"], []),
  // Anyone who may read the change may comment on it; another tenant's author cannot see it.
  comment: row(["author", "tenant committee", "security", "networking", "admin", "viewer"]),
  // Approval rules are organisation-wide: admins only, refused before anything is looked up.
  createRule: row(["admin"], []),
  updateRule: row(["admin"], []),
  enableRule: row(["admin"], []),
  deleteRule: row(["admin"], []),
};

describe(`workflow authorisation matrix on ${testDatabaseKind()}`, () => {
  const database = useSeededDatabase();
  const db = () => database().db;
  const as = (who: Person) => callerFor(db(), PEOPLE[who]);
  let made = 0;

  beforeAll(async () => {
    const [checkout] = await db().select().from(tenants).where(eq(tenants.name, "checkout"));
    const other = await insertPasswordUser(db(), {
      name: "Checkout author",
      email: PEOPLE["other tenant author"],
      password: "a-good-password",
    });
    await db().insert(memberships).values({ userId: other, tenantId: checkout!.id, role: "author" });
    await insertPasswordUser(db(), { name: "No role", email: PEOPLE["no role"], password: "a-good-password" });
  });

  /** A payments change by the author, in the state the mutation starts from. */
  async function change(state: "in-review" | "changes-requested" | "approved") {
    const name = `matrix-${++made}`;
    const yaml = paymentsEgressYaml(name);
    const author = await as("author");
    await author.policies.saveDraft({ policyName: null, baseVersion: null, yaml, message: "" });
    const { number } = await author.policies.proposeChange({ title: name, description: "", policies: [name] });
    const { contentHash } = await author.workflow.review({ number });
    if (state === "changes-requested") await (await as("security")).workflow.requestChanges({ number, reason: "matrix" });
    if (state === "approved") {
      await (await as("security")).workflow.approve({ number, contentHash });
      await (await as("tenant committee")).workflow.approve({ number, contentHash });
    }
    return { number, contentHash };
  }

  const START: Record<Mutation, "in-review" | "changes-requested" | "approved"> = {
    approve: "in-review",
    requestChanges: "in-review",
    reject: "in-review",
    withdraw: "in-review",
    edit: "in-review",
    submit: "changes-requested",
    release: "approved",
    comment: "in-review",
    createRule: "in-review",
    updateRule: "in-review",
    enableRule: "in-review",
    deleteRule: "in-review",
  };

  /** A disabled rule made by the admin, for a caller to edit, enable or delete. */
  let rules = 0;
  async function rule() {
    return (await as("admin")).approvalRules.create({
      key: `matrix-rule-${++rules}`,
      match: { tiers: ["cluster"] },
      requirements: [{ function: "platform", count: 1, scope: "organisation" }],
      enabled: false,
    });
  }
  const ruleFields = () => ({
    key: `matrix-rule-${++rules}`,
    match: { tiers: ["cluster" as const] },
    requirements: [{ function: "platform" as const, count: 1, scope: "organisation" as const }],
  });

  function attempt(caller: Awaited<ReturnType<typeof as>>, mutation: Mutation, cr: { number: number; contentHash: string }) {
    const { number, contentHash } = cr;
    const calls: Record<Mutation, () => Promise<unknown>> = {
      approve: () => caller.workflow.approve({ number, contentHash, comment: "" }),
      requestChanges: () => caller.workflow.requestChanges({ number, contentHash, reason: "matrix" }),
      reject: () => caller.workflow.reject({ number, contentHash, reason: "matrix" }),
      withdraw: () => caller.workflow.withdraw({ number, reason: "matrix" }),
      edit: () => caller.workflow.edit({ number, contentHash, title: "renamed by the matrix" }),
      submit: () => caller.workflow.submit({ number, reason: "matrix" }),
      release: () => caller.workflow.release({ number }),
      comment: () => caller.reviews.comment({ number, body: "matrix" }),
      createRule: () => caller.approvalRules.create({ ...ruleFields(), enabled: false }),
      updateRule: async () => caller.approvalRules.update({ ...ruleFields(), id: (await rule()).id, expectedVersion: 1, enabled: false }),
      enableRule: async () => caller.approvalRules.setEnabled({ id: (await rule()).id, enabled: true, expectedVersion: 1 }),
      deleteRule: async () => caller.approvalRules.delete({ id: (await rule()).id, expectedVersion: 1 }),
    };
    return calls[mutation]().then(
      () => "OK",
      (e: { code?: string }) => e.code ?? "THROWN",
    );
  }

  it("allows each workflow mutation to exactly the people of its row, and refuses the rest", async () => {
    const actual: Record<string, Record<string, string>> = {};
    for (const mutation of Object.keys(EXPECTED) as Mutation[]) {
      actual[mutation] = {};
      // Refusals write nothing, so they share one change until a call is allowed.
      const shared = await change(START[mutation]);
      for (const who of Object.keys(PEOPLE) as Person[]) {
        const caller = await as(who);
        actual[mutation][who] = await attempt(caller, mutation, shared);
        // An allowed call moved the shared change on: the next person gets a fresh one in the starting state.
        if (actual[mutation][who] === "OK") Object.assign(shared, await change(START[mutation]));
      }
    }
    expect(actual).toEqual(EXPECTED);
    // Every mutation × every person, many a fresh change request: ~15 s on a quiet machine, minutes on a busy one.
  }, 300_000);
});
