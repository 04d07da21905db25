import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { policies, workloads } from "@/db/schema";
import { testDatabaseKind } from "@/db/testing";
import { lint } from "@/server/policy/lint/lint";
import { callerFor } from "@/server/testing/actors";
import { useSeededDatabase } from "@/server/testing/database";
import { releasedDocuments } from "@/server/drafts/documents";
import { setWith } from "@/server/drafts/engine";
import { loadTargets, releaseLintComputations } from "./release-lint";
import { platformDefaultInForce } from "@/server/platform-default/get";

import { readPolicyYaml } from "@/lib/policy-yaml";

const AUTHOR = "priya.payments@acme.example";
const VIEWER = "avery.audit@acme.example";

describe(`the release lint, kept in memory on ${testDatabaseKind()}`, () => {
  const database = useSeededDatabase();
  const db = () => database().db;
  const lintOf = async (name: string) => (await (await callerFor(db(), VIEWER)).policies.list({})).find((p) => p.name === name)!.lint;

  /** Opens every released policy in the editor: the same findings (placed in its YAML) as linting the set afresh. Returns how many were placed. */
  async function editorFindingsEqualFreshLint(): Promise<number> {
    const viewer = await callerFor(db(), VIEWER);
    const released = await releasedDocuments(db());
    const targets = await loadTargets(db());
    let placed = 0;
    for (const stored of released) {
      const yaml = (await viewer.policies.get({ name: stored.name })).versions.find((v) => v.version === stored.version)!.yaml;
      const analysis = await viewer.policies.analyse({ yaml });
      const located = readPolicyYaml(yaml).located!;
      const id = `${stored.kind}/${stored.name}`;
      const fresh = lint({
        documents: setWith(released, located.document, located),
        clusters: targets,
        secureByDefault: await platformDefaultInForce(db()),
      })
        .filter((f) => f.document === id)
        .map((f) => ({ id: f.id, severity: f.severity, path: f.path, line: f.line ?? 0, column: f.column ?? 0, message: f.message }));
      expect(analysis.findings, stored.name).toEqual(fresh);
      placed += fresh.filter((f) => f.line > 0).length;
    }
    return placed;
  }

  it("is computed once for repeated lists, and the editor gives the fresh lint of released content without recomputing it", async () => {
    const viewer = await callerFor(db(), VIEWER);
    const start = releaseLintComputations();
    const first = await viewer.policies.list({});
    expect(releaseLintComputations()).toBe(start + 1);
    expect(await viewer.policies.list({})).toEqual(first);
    await viewer.policies.list({ search: "payments" });
    expect(releaseLintComputations()).toBe(start + 1);

    expect(await editorFindingsEqualFreshLint()).toBeGreaterThan(0);
    expect(releaseLintComputations()).toBe(start + 1);
    // Every released policy is opened in the editor, and each analysis also compiles and verifies its cluster (compile --verify's core).
  }, 180_000);

  it("lints an edited draft against the release without touching the cache, and a saved draft leaves the release lint as it is", async () => {
    const author = await callerFor(db(), AUTHOR);
    const current = (await author.policies.get({ name: "payments-batch" })).versions.at(-1)!;
    const ghost = current.yaml.replace(/app: [a-z-]+/g, "app: no-such-app");
    const start = releaseLintComputations();
    const analysis = await author.policies.analyse({ yaml: ghost });
    expect(analysis.findings.map((f) => f.id)).toContain("no-match");
    await author.policies.saveDraft({ policyName: "payments-batch", baseVersion: current.version, yaml: ghost, message: "" });
    expect((await lintOf("payments-batch")).first ?? "").not.toMatch(/selects no workload/);
    expect(releaseLintComputations()).toBe(start);
  });

  it("is recomputed when a new version is released: the list shows its finding", async () => {
    const before = await lintOf("payments-batch");
    const start = releaseLintComputations();
    // Releasing is the approval workflow's job (not built yet); the release is what policies.released_version points at.
    await db()
      .update(policies)
      .set({ releasedVersion: sql`${policies.latestVersion}` })
      .where(eq(policies.name, "payments-batch"));
    const after = await lintOf("payments-batch");
    expect(after.warnings).toBeGreaterThan(before.warnings);
    expect(after.first).toMatch(/selects no workload/);
    expect(releaseLintComputations()).toBe(start + 1);
    // Its subject and peer findings, reused in the editor, land on their lines.
    const placed = await editorFindingsEqualFreshLint();
    expect(placed).toBeGreaterThan(3);
    expect(releaseLintComputations()).toBe(start + 1);
    // Opens every released policy as the first test does (each analysis compiles and verifies a cluster): its time.
  }, 180_000);

  it("is recomputed when the inventory changes: the list shows the new finding", async () => {
    expect((await lintOf("payments-api")).first ?? "").not.toMatch(/the subject selects no workload/);
    const start = releaseLintComputations();
    await db()
      .update(workloads)
      .set({ labels: { app: "payments-api-v2" } })
      .where(eq(workloads.name, "payments-api"));
    expect((await lintOf("payments-api")).first).toMatch(/the subject selects no workload/);
    expect(releaseLintComputations()).toBe(start + 1);
  });
});
