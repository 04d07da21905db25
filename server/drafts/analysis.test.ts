// The editor's compile check is kept per (release, document content, cluster, target): text that reads
// as the same document is not compiled again, while any change of the document, the release or the
// exceptions in force is.
import { describe, expect, it } from "vitest";
import { issue10Documents, issue10Model } from "@/server/testing/issue-10";
import { PLATFORM_DEFAULT_ALL } from "@/server/policy/model";
import { analyseDraftText, draftCompileCount, type DraftAnalysisInput } from "./analysis";
import type { StoredDocument } from "./documents";

const model = issue10Model;
const released: StoredDocument[] = issue10Documents;

const draft = (port: number, indent = "  ", comment = "") => `${comment}apiVersion: policyplane.io/v1
kind: Policy
metadata:
${indent}name: bank-accepts-ingress
${indent}tenant: bank
spec:
${indent}tier: namespace
${indent}subject: { namespaces: [bank] }
${indent}rules:
${indent}  - direction: ingress
${indent}    peers: [{ workloads: { namespaces: [ingress-nginx] } }]
${indent}    ports: [{ port: ${port} }]
`;

const input = (yaml: string, releaseKey: string | null = "release-1"): DraftAnalysisInput => ({
  yaml,
  tenants: ["shop", "bank"],
  released,
  targets: [{ name: "canary", model }],
  platformDefault: PLATFORM_DEFAULT_ALL,
  ...(releaseKey === null ? {} : { releaseKey }),
});

/** How many compile checks the call ran. */
function compiles(i: DraftAnalysisInput) {
  const before = draftCompileCount();
  const result = analyseDraftText(i);
  return { result, ran: draftCompileCount() - before };
}

describe("the editor's compile check, kept per release and document", () => {
  it("compiles a document once per release: the same document written differently is answered from memory", () => {
    const first = compiles(input(draft(8080)));
    expect(first.ran).toBe(1);
    expect(first.result.compiled?.groups.some((g) => g.objects.length > 0)).toBe(true);
    const again = compiles(input(draft(8080, "    ", "# the controller reaches the ledger\n")));
    expect(again.ran).toBe(0);
    expect(again.result.compiled).toEqual(first.result.compiled);
    expect(again.result.findings.filter((f) => f.id === "compile-disagreement")).toEqual(
      first.result.findings.filter((f) => f.id === "compile-disagreement"),
    );
  });

  it("compiles again when the document, the release, the cluster's target or the caller's key changes", () => {
    compiles(input(draft(8080)));
    expect(compiles(input(draft(8443))).ran).toBe(1);
    expect(compiles(input(draft(8080), "release-2")).ran).toBe(1);
    expect(compiles({ ...input(draft(8080)), target: "cnp-v1alpha2" }).ran).toBe(1);
    // Without a release key (a caller that cannot name what it compiled against) nothing is kept.
    expect(compiles(input(draft(8080), null)).ran).toBe(1);
    expect(compiles(input(draft(8080), null)).ran).toBe(1);
  });

  it("compiles again when an exception of the release starts or ends, though the release is the same", () => {
    const hour = 3_600_000;
    const exception = (startsAt: number): StoredDocument => ({
      policyId: "exception:9",
      name: "exception-9",
      kind: "Exception",
      tier: "exception",
      tenantId: null,
      version: 9,
      document: {
        apiVersion: "policyplane.io/v1",
        kind: "Exception",
        metadata: { name: "exception-9" },
        spec: {
          subject: { namespaces: ["shop"] },
          direction: "egress",
          peers: [{ workloads: { namespaces: ["bank"] } }],
          ports: [{ port: 5432, protocol: "TCP" }],
          justification: "The reconciliation job reads the ledger.",
          startsAt: new Date(startsAt).toISOString(),
          expiresAt: new Date(startsAt + hour).toISOString(),
        },
      },
    });
    const later = { ...input(draft(8080), "release-3"), released: [...released, exception(Date.now() + hour)] };
    expect(compiles(later).ran).toBe(1);
    expect(compiles(later).ran).toBe(0);
    const started = { ...later, released: [...released, exception(Date.now() - 1000)] };
    expect(compiles(started).ran).toBe(1);
  });
});
