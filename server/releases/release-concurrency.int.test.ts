// Releases under concurrency (issue 13, performance and tests): 50 approve /
// edit / release calls at once on one change request give exactly one release,
// no lost update, and an audit chain that verifies; an edit racing a release
// lets exactly one of them through.
import { TRPCError } from "@trpc/server";
import { eq } from "drizzle-orm";
import { parse as parseYaml } from "yaml";
import { describe, expect, it } from "vitest";
import { changeRequests, policies, releases } from "@/db/schema";
import { testDatabaseKind } from "@/db/testing";
import { verifyAuditTrail } from "@/server/audit/query";
import { documentToYaml } from "@/lib/policy-yaml";
import { callerFor } from "@/server/testing/actors";
import { useSeededDatabase } from "@/server/testing/database";

const ADMIN = "alex.admin@acme.example";
const AUTHOR = "priya.payments@acme.example";
const SECURITY = "sam.security@acme.example";
const NETWORKING = "nina.network@acme.example";
const PAYMENTS_COMMITTEE = "dana.payments-committee@acme.example";

describe(`releases under concurrency on ${testDatabaseKind()}`, () => {
  const database = useSeededDatabase();
  const db = () => database().db;
  const as = (email: string) => callerFor(db(), email);
  let made = 0;

  async function newDraft(name: string, description: string) {
    const author = await as(AUTHOR);
    const existing = await author.policies.get({ name }).catch(() => null);
    const latest = existing?.versions.at(-1);
    const base = latest
      ? (parseYaml(latest.yaml) as { metadata: Record<string, unknown> })
      : {
          apiVersion: "policyplane.io/v1",
          kind: "Policy",
          metadata: { name, tenant: "payments" },
          spec: {
            tier: "namespace",
            subject: { namespaces: ["payments"], podSelector: { matchLabels: { app: "payments-api" } } },
            rules: [
              {
                name: "out",
                direction: "egress",
                action: "allow",
                peers: [{ dns: "api.stripe.com" }],
                ports: [{ port: 443, protocol: "TCP" }],
                // Through the PCI egress gateway, as the PCI constraint requires (else a lint error blocks submission).
                via: "pci-egress",
              },
            ],
          },
        };
    await author.policies.saveDraft({
      policyName: latest ? name : null,
      baseVersion: latest?.version ?? null,
      yaml: documentToYaml({ ...base, metadata: { ...base.metadata, description } }),
      message: "",
    });
  }

  async function approvedChange() {
    const name = `race-${++made}`;
    await newDraft(name, "first");
    const { number } = await (await as(AUTHOR)).policies.proposeChange({ title: `race ${made}`, description: "", policies: [name] });
    const { contentHash } = await (await as(AUTHOR)).workflow.review({ number });
    await (await as(SECURITY)).workflow.approve({ number, contentHash });
    expect(await (await as(PAYMENTS_COMMITTEE)).workflow.approve({ number, contentHash })).toMatchObject({ state: "approved" });
    return { name, number, contentHash };
  }

  const codeOf = (r: PromiseSettledResult<unknown>) =>
    r.status === "fulfilled" ? "OK" : r.reason instanceof TRPCError ? r.reason.code : `THROWN ${String(r.reason)}`;

  it("gives exactly one release from 50 concurrent approve / edit / release calls, refusing the rest with named errors", async () => {
    const { name, number, contentHash } = await approvedChange();
    const admin = await as(ADMIN);
    const callers = {
      admin,
      author: await as(AUTHOR),
      security: await as(SECURITY),
      committee: await as(PAYMENTS_COMMITTEE),
      networking: await as(NETWORKING),
    };
    const calls: (() => Promise<unknown>)[] = [];
    for (let i = 0; i < 50; i++) {
      const kind = i % 5;
      if (kind === 0 || kind === 3) calls.push(() => callers.admin.workflow.release({ number }));
      else if (kind === 1)
        calls.push(() => [callers.security, callers.committee, callers.networking][i % 3]!.workflow.approve({ number, contentHash }));
      else if (kind === 2) calls.push(() => callers.author.workflow.edit({ number, contentHash, title: `race title ${i}` }));
      else calls.push(() => callers.admin.workflow.release({ number }));
    }
    const results = await Promise.allSettled(calls.map((call) => call()));
    const codes = results.map(codeOf);
    // Nothing failed as a server fault: every refusal is a CONFLICT (or FORBIDDEN for the networking approver, whom this change does not need).
    expect(codes.filter((c) => !["OK", "CONFLICT", "FORBIDDEN"].includes(c))).toEqual([]);
    const releaseResults = results.filter((_, i) => [0, 3, 4].includes(i % 5));
    expect(releaseResults.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const [cr] = await db().select().from(changeRequests).where(eq(changeRequests.number, number));
    expect(cr!.state).toBe("released");
    expect(await db().select().from(releases).where(eq(releases.changeRequestId, cr!.id))).toHaveLength(1);
    const [policy] = await db().select().from(policies).where(eq(policies.name, name));
    expect(policy!.releasedVersion).toBe(policy!.latestVersion);
    expect(await verifyAuditTrail(db())).toMatchObject({ ok: true });
  });

  it("lets exactly one of a content edit and a release through when they race", async () => {
    const { name, number, contentHash } = await approvedChange();
    await newDraft(name, "edited while the release runs");
    const author = await as(AUTHOR);
    const admin = await as(ADMIN);
    const results = await Promise.allSettled([
      ...Array.from({ length: 5 }, () => admin.workflow.release({ number })),
      ...Array.from({ length: 5 }, () => author.workflow.edit({ number, contentHash })),
    ]);
    const codes = results.map(codeOf);
    expect(codes.filter((c) => c !== "OK" && c !== "CONFLICT")).toEqual([]);
    expect(codes.filter((c) => c === "OK")).toHaveLength(1);
    const [cr] = await db().select().from(changeRequests).where(eq(changeRequests.number, number));
    const released = await db().select().from(releases).where(eq(releases.changeRequestId, cr!.id));
    if (codes.slice(0, 5).includes("OK")) {
      expect(cr!.state).toBe("released");
      expect(released).toHaveLength(1);
      expect(cr!.contentHash).toBe(contentHash);
    } else {
      expect(cr!.state).toBe("in-review");
      expect(released).toHaveLength(0);
      expect(cr!.contentHash).not.toBe(contentHash);
    }
    expect(await verifyAuditTrail(db())).toMatchObject({ ok: true });
  });
});
