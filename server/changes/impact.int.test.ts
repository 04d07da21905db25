import { TRPCError } from "@trpc/server";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { memberships, tenants } from "@/db/schema";
import { testDatabaseKind } from "@/db/testing";
import { callerFor, demoActor } from "@/server/testing/actors";
import { useSeededDatabase } from "@/server/testing/database";
import { paymentsEgressYaml, promotionsSmsYaml } from "@/server/testing/policies";
import { insertPasswordUser } from "@/server/users/credentials";
import { createChangeRequest } from "@/server/workflow/create";

const PAYMENTS_AUTHOR = "priya.payments@acme.example";
const CHECKOUT_AUTHOR = "carlos.checkout@acme.example";
const SECURITY = "sam.security@acme.example";

describe(`the change request impact on ${testDatabaseKind()}`, () => {
  const database = useSeededDatabase();
  const db = () => database().db;
  const propose = async (email: string, name: string, yaml: string) => {
    const author = await callerFor(db(), email);
    await author.policies.saveDraft({ policyName: null, baseVersion: null, yaml, message: "" });
    return (await author.policies.proposeChange({ title: name, description: "", policies: [name] })).number;
  };
  const numberOf = async (title: string) => (await (await callerFor(db(), SECURITY)).changes.list()).find((c) => c.title === title)!.number;
  const codeOf = (e: unknown) => (e instanceof TRPCError ? e.code : String(e));

  it("shows a committee member the path a change adds in every cluster, with the policy and rule that allow it, and rates it by its destination", async () => {
    const number = await propose(CHECKOUT_AUTHOR, "promotions-sms", promotionsSmsYaml("promotions-sms"));
    const impact = await (await callerFor(db(), SECURITY)).changes.impact({ number });
    expect(impact.clusters.map((c) => c.cluster)).toEqual(["prod-eu-1", "prod-us-1", "staging-eu-1"]);
    for (const c of impact.clusters.filter((x) => x.added.length > 0)) {
      expect(c.added.map((p) => p.label)).toEqual(["checkout/promotions → api.twilio.com 443/TCP"]);
      expect(c.added[0]!.destination).toEqual({ name: "api.twilio.com", criticality: "high" });
      expect(c.added[0]!.rationale).toEqual([
        expect.objectContaining({
          port: "443/TCP",
          allowance: expect.objectContaining({
            layer: "namespace",
            policy: expect.objectContaining({ name: "promotions-sms" }),
            rule: 'egress rule 0 "sms"',
          }),
        }),
      ]);
      expect(c.removed).toEqual([]);
    }
    expect(impact.totals.added).toBeGreaterThanOrEqual(1);
    expect(impact.risk.level).toBe("high");
    expect(impact.risk.reasons[0]!.text).toMatch(
      /^opens \d path\(s\) to a high-criticality service: checkout\/promotions → api.twilio.com 443\/TCP in prod-eu-1/,
    );
    expect(impact.lint.filter((f) => f.severity === "error")).toEqual([]);
    expect(impact.compileErrors).toEqual([]);
  }, 180_000);

  it("reports a constraint the change runs into as a lint error that raises the risk (on a request held as a draft: it cannot be submitted)", async () => {
    const held = await createChangeRequest({
      ctx: { db: db(), actor: await demoActor(db(), PAYMENTS_AUTHOR), requestId: "impact-test" },
      input: { title: "payments-sms", description: "", draft: true, documents: [paymentsEgressYaml("payments-sms", { via: null })] },
    });
    const impact = await (await callerFor(db(), SECURITY)).changes.impact({ number: held.number });
    expect(impact.lint).toContainEqual(
      expect.objectContaining({
        id: "constraint-conflict",
        severity: "error",
        document: "Policy/payments-sms",
        path: "spec.rules[0].peers[0]",
        // Placed in the YAML the console shows for the version (stored documents carry no positions).
        line: 20,
      }),
    );
    // The constraint denies it: no path is added anywhere.
    expect(impact.totals).toMatchObject({ added: 0, removed: 0 });
    expect(impact.risk).toMatchObject({ level: "high" });
    expect(impact.risk.reasons[0]!.text).toMatch(/^1 lint error\(s\): ComplianceConstraint\/pci-egress-through-gateway denies this/);
  }, 180_000);

  it("lists the compiled objects the change adds per cluster, and refuses an unknown cluster", async () => {
    const number = await numberOf("promotions-sms");
    const security = await callerFor(db(), SECURITY);
    const diff = await security.changes.compiledDiff({ number, cluster: "prod-eu-1" });
    expect(diff.clusters.map((c) => c.cluster)).toEqual(["prod-eu-1"]);
    const added = diff.clusters[0]!.changes.filter((c) => c.name === "promotions-sms");
    expect(added.map((c) => [c.kind, c.change])).toEqual([
      ["CiliumNetworkPolicy", "added"],
      ["NetworkPolicy", "added"],
    ]);
    expect(added[0]!.after).toContain("matchName: api.twilio.com");
    expect(added[0]!.before).toBe("");
    const cnp = await security.changes.compiledDiff({ number, cluster: "prod-eu-1", target: "cnp-v1alpha2" });
    expect(cnp.target).toBe("cnp-v1alpha2");
    await expect(security.changes.compiledDiff({ number, cluster: "nowhere" }).catch(codeOf)).resolves.toBe("NOT_FOUND");
  }, 180_000);

  it("answers as if the change did not exist to someone who may not read all of it", async () => {
    const number = await numberOf("promotions-sms");
    // Scoped to the payments tenant only (the demo's authors also read the organisation).
    const [payments] = await db().select().from(tenants).where(eq(tenants.name, "payments"));
    const id = await insertPasswordUser(db(), { name: "Payments only", email: "payments.only@acme.example", password: "a-good-password" });
    await db().insert(memberships).values({ userId: id, tenantId: payments!.id, role: "author" });
    const other = await callerFor(db(), "payments.only@acme.example");
    await expect(other.changes.impact({ number }).catch(codeOf)).resolves.toBe("NOT_FOUND");
    await expect(other.changes.compiledDiff({ number }).catch(codeOf)).resolves.toBe("NOT_FOUND");
    await expect(other.changes.impact({ number: 9999 }).catch(codeOf)).resolves.toBe("NOT_FOUND");
  });
});
