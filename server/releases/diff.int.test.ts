import { TRPCError } from "@trpc/server";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { memberships, tenants } from "@/db/schema";
import { testDatabaseKind } from "@/db/testing";
import { callerFor } from "@/server/testing/actors";
import { useSeededDatabase } from "@/server/testing/database";
import { paymentsEgressYaml } from "@/server/testing/policies";
import { insertPasswordUser } from "@/server/users/credentials";

const ADMIN = "alex.admin@acme.example";
const AUTHOR = "priya.payments@acme.example";
const SECURITY = "sam.security@acme.example";
const PAYMENTS_COMMITTEE = "dana.payments-committee@acme.example";

describe(`the diff between two releases on ${testDatabaseKind()}`, () => {
  const database = useSeededDatabase();
  const db = () => database().db;
  const as = (email: string) => callerFor(db(), email);
  const codeOf = (e: unknown) => (e instanceof TRPCError ? e.code : String(e));

  /** Drafts `yaml` for `name` (new or next version), has it approved and released; the release number. */
  async function release(name: string, yaml: string): Promise<number> {
    const author = await as(AUTHOR);
    const existing = await author.policies.get({ name }).catch(() => null);
    const latest = existing?.versions.at(-1);
    await author.policies.saveDraft({ policyName: latest ? name : null, baseVersion: latest?.version ?? null, yaml, message: "" });
    const { number } = await author.policies.proposeChange({
      title: `${name} ${latest ? "edit" : "new"}`,
      description: "",
      policies: [name],
    });
    const { contentHash } = await author.workflow.review({ number });
    await (await as(SECURITY)).workflow.approve({ number, contentHash });
    await (await as(PAYMENTS_COMMITTEE)).workflow.approve({ number, contentHash });
    return (await (await as(ADMIN)).workflow.release({ number })).release;
  }

  it("lists the policies added and moved between two releases with both versions' YAML, in either direction", async () => {
    const first = await release("diff-egress", paymentsEgressYaml("diff-egress", { port: 443 }));
    const second = await release("diff-egress", paymentsEgressYaml("diff-egress", { port: 8443 }));
    const third = await release("diff-other", paymentsEgressYaml("diff-other"));
    const viewer = await as(SECURITY);

    const forward = await viewer.releases.diff({ from: first, to: third });
    expect(forward.policies.map((p) => [p.name, p.change, p.fromVersion, p.toVersion])).toEqual([
      ["diff-egress", "changed", 1, 2],
      ["diff-other", "added", null, 1],
    ]);
    const edited = forward.policies[0]!;
    expect(edited.fromYaml).toContain("port: 443");
    expect(edited.toYaml).toContain("port: 8443");
    expect(forward.policies[1]!.fromYaml).toBe("");
    expect(forward.samePolicySet).toBe(false);
    expect(forward.unchanged).toBeGreaterThan(10);

    const backward = await viewer.releases.diff({ from: third, to: second });
    expect(backward.policies.map((p) => [p.name, p.change, p.fromVersion, p.toVersion])).toEqual([["diff-other", "removed", 1, null]]);
    expect((await viewer.releases.diff({ from: second, to: second })).policies).toEqual([]);
    expect((await viewer.releases.diff({ from: second, to: second })).samePolicySet).toBe(true);
  }, 120_000);

  it("refuses a release that does not exist, and shows a tenant-scoped reader only a count of what is not theirs", async () => {
    const viewer = await as(SECURITY);
    const list = await viewer.releases.list();
    const [latest, previous] = [list[0]!.number, list.at(-1)!.number];
    await expect(viewer.releases.diff({ from: previous, to: 99_999 }).catch(codeOf)).resolves.toBe("NOT_FOUND");
    await expect(viewer.releases.diff({ from: 0, to: latest }).catch(codeOf)).resolves.toBe("BAD_REQUEST");

    const [checkout] = await db().select().from(tenants).where(eq(tenants.name, "checkout"));
    const id = await insertPasswordUser(db(), { name: "Checkout only", email: "checkout.only@acme.example", password: "a-good-password" });
    await db().insert(memberships).values({ userId: id, tenantId: checkout!.id, role: "author" });
    const scoped = await (await as("checkout.only@acme.example")).releases.diff({ from: previous, to: latest });
    // The payments policies moved between them are not named to a checkout author.
    expect(scoped.policies.filter((p) => p.name.startsWith("diff-"))).toEqual([]);
    expect(scoped.hiddenPolicies).toBeGreaterThan(0);
  }, 60_000);
});
