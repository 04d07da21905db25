import { describe, expect, it } from "vitest";
import { demoCluster } from "@/server/policy/documents/__tests__/demo-cluster";
import { inMemoryDocuments } from "@/server/policy/documents/read";
import { policyplaneDocument } from "@/server/policy/documents/schema";
import { PLATFORM_DEFAULT_ALL } from "@/server/policy/model";
import { compileFor } from "./engine";

describe("compiled output of one document", () => {
  it("shows a name clash to both documents, including the one whose object was not compiled", () => {
    const expiresAt = new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 19) + "Z";
    const exception = (name: string) =>
      policyplaneDocument.parse({
        apiVersion: "policyplane.io/v1",
        kind: "Exception",
        metadata: { name },
        spec: {
          subject: { namespaces: ["checkout"], podSelector: { matchLabels: { app: "checkout-web" } } },
          direction: "egress",
          peers: [{ workloads: { namespaces: ["payments"], podSelector: { matchLabels: { app: "payments-api" } } } }],
          ports: [{ port: 8080 }],
          justification: "incident 42",
          expiresAt,
        },
      });
    // web-debug's mirrored allow at its peer is named like web-debug-peer-0's own object.
    const docs = [exception("web-debug"), exception("web-debug-peer-0"), exception("web")];
    const set = inMemoryDocuments(docs);
    const errorsOf = (i: number) =>
      compileFor(set, docs[i]!, demoCluster("prod-eu-1"), "anp", PLATFORM_DEFAULT_ALL).errors.map((e) => e.detail);
    expect(errorsOf(0)).toEqual([expect.stringContaining("rename one of the documents")]);
    expect(errorsOf(1)).toEqual(errorsOf(0));
    // A name that only starts the same way is not concerned.
    expect(errorsOf(2)).toEqual([]);
  });
});
