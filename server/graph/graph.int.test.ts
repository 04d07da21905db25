import { TRPCError } from "@trpc/server";
import { describe, expect, it } from "vitest";
import { testDatabaseKind } from "@/db/testing";
import { documentToYaml } from "@/server/policies/yaml";
import { callerFor } from "@/server/testing/actors";
import { useSeededDatabase } from "@/server/testing/database";
import { parse as parseYaml } from "yaml";

const SECURITY = "sam.security@acme.example";
const CLUSTER = "prod-eu-1";

async function failure(promise: Promise<unknown>): Promise<TRPCError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof TRPCError) return error;
    throw error;
  }
  throw new Error("expected the call to fail");
}

describe(`graph overlays on ${testDatabaseKind()}`, () => {
  const database = useSeededDatabase();
  const db = () => database().db;

  it("shows a draft or change request overlay only to someone who may read its policies", async () => {
    const security = await callerFor(db(), SECURITY);
    // A checkout draft that drops the policy's first rule: its paths leave the graph.
    const current = await security.policies.get({ name: "cart" });
    const latest = current.versions[current.versions.length - 1]!;
    const document = parseYaml(latest.yaml) as { spec: { rules: unknown[] } };
    const yaml = documentToYaml({ ...document, spec: { ...document.spec, rules: document.spec.rules.slice(1) } });
    await security.policies.saveDraft({ policyName: "cart", baseVersion: latest.version, yaml, message: "drop a rule" });
    const change = await security.policies.proposeChange({ title: "Drop a checkout rule", description: "", policies: ["cart"] });

    const drafts = await security.graph.view({ cluster: CLUSTER, overlay: "drafts" });
    expect(drafts.paths.some((p) => p.change === "removed")).toBe(true);
    const proposed = await security.graph.view({ cluster: CLUSTER, overlay: `cr:${change.id}` });
    expect(proposed.paths).toEqual(drafts.paths);

    // Someone who can read the payments tenant only.
    const admin = await callerFor(db(), "alex.admin@acme.example");
    const { id: userId } = await admin.settings.createUser({ name: "Pay Viewer", email: "pay.viewer@acme.example", password: "a-good-password" });
    const tenants = await admin.org.tenants();
    await admin.settings.addMembership({ userId, tenantId: tenants.find((t) => t.name === "payments")!.id, role: "viewer", committeeFunction: null });
    const payViewer = await callerFor(db(), "pay.viewer@acme.example");

    expect((await payViewer.graph.view({ cluster: CLUSTER })).stats.paths).toBe((await security.graph.view({ cluster: CLUSTER })).stats.paths);
    expect((await payViewer.graph.view({ cluster: CLUSTER, overlay: "drafts" })).paths).toEqual([]);
    for (const call of [
      payViewer.graph.view({ cluster: CLUSTER, overlay: `cr:${change.id}` }),
      payViewer.graph.edge({ cluster: CLUSTER, overlay: `cr:${change.id}`, edge: proposed.paths[0]!.edgeId }),
      payViewer.graph.group({ cluster: CLUSTER, overlay: `cr:${change.id}`, group: proposed.nodes[0]!.id }),
    ]) {
      expect((await failure(call)).code).toBe("NOT_FOUND");
    }
  });
});
