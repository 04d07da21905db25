import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { testDatabaseKind } from "@/db/testing";
import { callerFor } from "@/server/testing/actors";
import { useSeededDatabase } from "@/server/testing/database";
import { trpcCode } from "@/server/testing/trpc";

const AUTHOR = "priya.payments@acme.example"; // author in payments, viewer elsewhere
const ADMIN = "alex.admin@acme.example";

describe(`graph service on ${testDatabaseKind()}`, () => {
  const database = useSeededDatabase();

  it("shows a change request's overlay only to someone who may read every policy in it", async () => {
    const author = await callerFor(database().db, AUTHOR);
    const draft = await author.policies.createFromTemplate({ template: "tenant-east-west-isolation", values: { tenant: "payments" } });
    const cr = await author.policies.proposeChange({ title: "Payments east-west", description: "", policies: [draft.name] });
    const overlay = `cr:${cr.id}`;
    const view = await author.graph.view({ cluster: "prod-eu-1", overlay });
    expect(view.overlay).toBe(overlay);
    expect(view.paths.filter((p) => p.change === "added").length).toBeGreaterThan(0);

    // Someone who can read the checkout tenant only.
    const admin = await callerFor(database().db, ADMIN);
    const { id: userId } = await admin.settings.createUser({
      name: "Checkout Viewer",
      email: "checkout.viewer@acme.example",
      password: "a-good-password",
    });
    const checkout = (await admin.org.tenants()).find((t) => t.name === "checkout")!;
    await admin.settings.addMembership({ userId, tenantId: checkout.id, role: "viewer", committeeFunction: null });
    const outsider = await callerFor(database().db, "checkout.viewer@acme.example");

    const scope = { cluster: "prod-eu-1", overlay };
    expect(await trpcCode(outsider.graph.view(scope))).toBe("NOT_FOUND");
    expect(await trpcCode(outsider.graph.node({ ...scope, node: "w:prod-eu-1/payments/Deployment/payments-api" }))).toBe("NOT_FOUND");
    expect(await trpcCode(outsider.graph.edge({ ...scope, edge: view.paths[0]!.edgeId }))).toBe("NOT_FOUND");
    expect(await trpcCode(outsider.graph.group({ ...scope, group: "n:prod-eu-1/payments" }))).toBe("NOT_FOUND");
    // The release graph stays open to them; the drafts overlay leaves out drafts they may not read.
    expect(await trpcCode(outsider.graph.view({ cluster: "prod-eu-1" }))).toBe("OK");
    expect((await author.graph.view({ cluster: "prod-eu-1", overlay: "drafts" })).paths).toEqual(view.paths);
    expect((await outsider.graph.view({ cluster: "prod-eu-1", overlay: "drafts" })).paths).toEqual([]);
  });

  it("answers an unknown change request with not found and a malformed one with a field error, never a 500", async () => {
    const author = await callerFor(database().db, AUTHOR);
    expect(await trpcCode(author.graph.view({ cluster: "prod-eu-1", overlay: `cr:${randomUUID()}` }))).toBe("NOT_FOUND");
    expect(await trpcCode(author.graph.view({ cluster: "prod-eu-1", overlay: `cr:${"-".repeat(36)}` }))).toBe("BAD_REQUEST");
  });

  it("names a drafted document the engine cannot wholly apply, with where and in which clusters", async () => {
    const author = await callerFor(database().db, AUTHOR);
    const draft = await author.policies.createFromTemplate({
      template: "egress-to-critical-service",
      values: { tenant: "payments", namespace: "payments", app: "ledger", service: "payments/no-such-service" },
    });
    const view = await author.graph.view({ cluster: "all", overlay: "drafts" });
    expect(view.warnings.filter((w) => w.document === draft.name)).toEqual(
      ["prod-eu-1", "prod-us-1", "staging-eu-1"].map((cluster) => ({
        kind: "Policy",
        document: draft.name,
        path: "spec.rules[0].peers[0]",
        message: `service payments/no-such-service is not in cluster ${cluster}; this peer matches nothing there`,
        clusters: [cluster],
      })),
    );
    expect((await author.graph.view({ cluster: "prod-eu-1" })).warnings).toEqual([]);
  });
});
