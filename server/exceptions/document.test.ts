// An exception request in engine terms: its window counts to the millisecond at
// both ends, overlapping exceptions each count in their own window, and a
// compliance constraint is never loosened by one.
import { describe, expect, it } from "vitest";
import type { ExceptionFlow } from "@/db/schema/exceptions";
import type { ComplianceConstraintDocument, PolicyplaneDocument } from "@/server/policy/documents/schema";
import { lowerDocuments } from "@/server/policy/documents/lower";
import type { LocatedDocument } from "@/server/policy/documents/read";
import { createEvaluator } from "@/server/policy/eval/evaluator";
import type { ClusterModel, PodInfo } from "@/server/policy/model";
import { exceptionDocumentOf, exceptionEffect } from "./document";

const pod = (namespace: string, app: string, labels: Record<string, string> = {}): PodInfo => ({
  namespace,
  name: `${app}-0`,
  labels: { app, ...labels },
  ports: [{ port: 8080, protocol: "TCP" }],
  ips: [],
  hostNetwork: false,
  workload: { kind: "Deployment", name: app },
});

const MODEL: ClusterModel = {
  namespaces: [
    { name: "shop", labels: {} },
    { name: "pay", labels: { pci: "true" } },
  ],
  pods: [pod("shop", "web"), pod("shop", "api"), pod("pay", "ledger")],
  workloads: [],
  services: [],
  nodes: [],
  externals: [],
};
const ON = { enabled: true, excludeNamespaces: [] } as const;
const CLUSTER = { name: "c1", model: MODEL };

const webToApi: ExceptionFlow = {
  direction: "egress",
  source: { namespace: "shop", labels: { app: "web" } },
  destination: { kind: "workload", namespace: "shop", labels: { app: "api" } },
  ports: [{ port: 8080, protocol: "TCP" }],
};
const START = Date.parse("2027-03-01T10:00:00.000Z");
const END = Date.parse("2027-03-08T10:00:00.000Z");
const window = (from: number, to: number) => ({ startsAt: new Date(from), expiresAt: new Date(to) });
const located = (document: PolicyplaneDocument): LocatedDocument => ({ document, file: `${document.kind}/${document.metadata.name}` });

function verdictAt(docs: PolicyplaneDocument[], from: string, to: string, at: number, port = 8080) {
  const ev = createEvaluator(MODEL, lowerDocuments(docs.map(located), CLUSTER).policies, { secureByDefault: ON });
  const [fromNs, fromApp] = from.split("/");
  const [toNs, toApp] = to.split("/");
  const d = ev.decide({
    src: { kind: "pod", namespace: fromNs!, name: `${fromApp}-0` },
    dst: { kind: "pod", namespace: toNs!, name: `${toApp}-0` },
    port,
    protocol: "TCP",
    time: new Date(at),
  });
  if (!d.ok) throw new Error(d.error.message);
  return d.value;
}

describe("an exception's window, to the millisecond", () => {
  const exception = exceptionDocumentOf("exception-1", webToApi, window(START, END), "migration of the api");

  it("is denied 1 ms before the start and allowed at the start instant", () => {
    expect(verdictAt([exception], "shop/web", "shop/api", START - 1).verdict).toBe("deny");
    const atStart = verdictAt([exception], "shop/web", "shop/api", START);
    expect(atStart.verdict).toBe("allow");
    expect(atStart.flow?.layer).toBe("exception");
  });

  it("is allowed 1 ms before the expiry and denied at the expiry instant", () => {
    expect(verdictAt([exception], "shop/web", "shop/api", END - 1).verdict).toBe("allow");
    expect(verdictAt([exception], "shop/web", "shop/api", END).verdict).toBe("deny");
  });

  it("opens only its own flow: the reverse direction and another port stay denied", () => {
    expect(verdictAt([exception], "shop/api", "shop/web", START).verdict).toBe("deny");
    expect(verdictAt([exception], "shop/web", "shop/api", START, 9090).verdict).toBe("deny");
  });
});

describe("overlapping exceptions", () => {
  it("each counts in its own window: the flow is allowed from the first start to the last expiry, and not after", () => {
    const MID = START + 3 * 86_400_000;
    const LATER = END + 2 * 86_400_000;
    const a = exceptionDocumentOf("exception-1", webToApi, window(START, END), "first window of the migration");
    const b = exceptionDocumentOf("exception-2", webToApi, window(MID, LATER), "second, overlapping window");
    const at = (t: number) => verdictAt([a, b], "shop/web", "shop/api", t);
    expect(at(START - 1).verdict).toBe("deny");
    expect(at(START).verdict).toBe("allow");
    expect(at(END).verdict).toBe("allow"); // a expired, b counts
    expect(at(END).flow?.policy?.name).toBe("exception-2");
    expect(at(LATER - 1).verdict).toBe("allow");
    expect(at(LATER).verdict).toBe("deny");
  });
});

describe("compliance constraints are never excepted", () => {
  const constraint: ComplianceConstraintDocument = {
    apiVersion: "policyplane.io/v1",
    kind: "ComplianceConstraint",
    metadata: { name: "pci-isolated" },
    spec: {
      subject: { namespaceSelector: { matchLabels: { pci: "true" } } },
      direction: "ingress",
      peers: [{ workloads: { namespaces: ["shop"] } }],
      rationale: "PCI systems take no traffic from the shop",
    },
  };
  const webToLedger: ExceptionFlow = { ...webToApi, destination: { kind: "workload", namespace: "pay", labels: { app: "ledger" } } };

  it("an exception that would loosen a constraint never allows, even inside its window", () => {
    const exception = exceptionDocumentOf("exception-3", webToLedger, window(START, END), "would loosen the PCI constraint");
    const d = verdictAt([constraint, exception], "shop/web", "pay/ledger", START + 1);
    expect(d.verdict).toBe("deny");
    expect(d.flow?.layer).toBe("constraint");
  });

  it("the request's effect names the constraint that forbids it and opens nothing", () => {
    const exception = exceptionDocumentOf("exception-3", webToLedger, window(START, END), "would loosen the PCI constraint");
    const effect = exceptionEffect(CLUSTER, [located(constraint)], exception, webToLedger, new Date(START), ON);
    expect(effect.forbiddenBy.map((f) => f.constraint)).toEqual(["pci-isolated"]);
    expect(effect.opens).toEqual([]);
  });

  it("an allowed request's effect lists the pod pairs it opens", () => {
    const exception = exceptionDocumentOf("exception-1", webToApi, window(START, END), "migration of the api");
    const effect = exceptionEffect(CLUSTER, [located(constraint)], exception, webToApi, new Date(START), ON);
    expect(effect).toMatchObject({ forbiddenBy: [], alreadyAllowed: 0, sources: 1, destinations: 1 });
    expect(effect.opens).toEqual([{ from: "shop/web", to: "shop/api", port: 8080, protocol: "TCP" }]);
  });
});
