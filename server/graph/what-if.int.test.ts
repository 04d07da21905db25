import { describe, expect, it } from "vitest";
import { testDatabaseKind } from "@/db/testing";
import { callerFor } from "@/server/testing/actors";
import { useSeededDatabase } from "@/server/testing/database";
import { trpcCode, trpcFailure } from "@/server/testing/trpc";

const AUTHOR = "priya.payments@acme.example"; // author in payments, viewer elsewhere
const CLUSTER = "prod-eu-1";

/** A path ("checkout/cart → payments/payments-api 8080/TCP, …") → the flow on its first numbered port. */
function flowOf(path: { label: string; ports: string[] }) {
  const [from, rest] = path.label.split(" → ");
  const to = rest!.split(" ")[0];
  const [port, protocol] = path.ports.find((p) => /^\d+\//.test(p))!.split("/");
  return { from: from!, to: to!, port: Number(port), protocol: protocol as "TCP" | "UDP" | "SCTP" };
}

describe(`the Simulator's what-if (graph.whatIf) on ${testDatabaseKind()}`, () => {
  const database = useSeededDatabase();

  it("decides one flow by the release and by the drafts at once, with both rationales", async () => {
    const author = await callerFor(database().db, AUTHOR);
    await author.policies.createFromTemplate({ template: "tenant-east-west-isolation", values: { tenant: "payments" } });
    const view = await author.graph.view({ cluster: CLUSTER, overlay: "drafts" });
    // The template opens the tenant's namespaces to each other: paths the release does not have.
    const added = view.paths.find((p) => p.change === "added" && p.ports.some((port) => /^\d+\//.test(port)));
    expect(added, "the isolation draft adds a path").toBeDefined();
    const flow = flowOf(added!);

    const both = await author.graph.whatIf({ cluster: CLUSTER, overlay: "drafts", ...flow });
    expect(both.release.verdict).toBe("deny");
    expect(both.proposal?.verdict).toBe("allow");
    expect(both.change).toBe("newly-allowed");
    expect(both.release.path).toMatch(/deny/);
    expect(both.proposal?.path).toMatch(/allow/);
    expect(both.proposal?.rationale).toMatchObject({ egress: expect.any(Object), ingress: expect.any(Object) });

    // Without a proposal: the release alone.
    const alone = await author.graph.whatIf({ cluster: CLUSTER, ...flow });
    expect(alone).toMatchObject({ release: { verdict: "deny" }, proposal: null, change: null });
  });

  it("refuses what it cannot decide with the field and the reason, never a 500", async () => {
    const author = await callerFor(database().db, AUTHOR);
    const unknown = await trpcFailure(author.graph.whatIf({ cluster: CLUSTER, from: "payments/no-such-pod", to: "8.8.8.8", port: 53 }));
    expect(unknown.code).toBe("BAD_REQUEST");
    expect(unknown.message).toBe("from: no pod payments/no-such-pod in the manifests");
    expect(await trpcCode(author.graph.whatIf({ cluster: CLUSTER, from: "not an endpoint!", to: "8.8.8.8", port: 53 }))).toBe(
      "BAD_REQUEST",
    );
    expect(await trpcCode(author.graph.whatIf({ cluster: CLUSTER, from: "payments/payments-api", to: "8.8.8.8", port: 70000 }))).toBe(
      "BAD_REQUEST",
    );
    expect(
      await trpcCode(author.graph.whatIf({ cluster: "no-such-cluster", from: "payments/payments-api", to: "8.8.8.8", port: 53 })),
    ).toBe("NOT_FOUND");
  });
});
