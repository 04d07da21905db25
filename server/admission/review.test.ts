// The admission webhook's judgement over the published AdmissionReview fixtures (see __fixtures__/README.md).
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { MANAGED_BY } from "@/server/policy/compile/compile";
import { findings, review } from "./review";
import { admissionResponse, admissionReviewRequest, type AdmissionRequest } from "./schemas";

const dir = path.join(__dirname, "__fixtures__");
const read = (name: string) => JSON.parse(readFileSync(path.join(dir, name), "utf8")) as unknown;
const requestOf = (name: string): AdmissionRequest => admissionReviewRequest.parse(read(name)).request;
const FIXTURES = readdirSync(dir).filter((f) => f.endsWith(".admissionreview.json"));

/** A NetworkPolicy CREATE built on the real pod request's envelope (no published NetworkPolicy review exists). */
function networkPolicyRequest(labels: Record<string, string>): AdmissionRequest {
  const pod = requestOf("kubewarden-pod-create.admissionreview.json");
  return {
    ...pod,
    kind: { group: "networking.k8s.io", version: "v1", kind: "NetworkPolicy" },
    resource: { group: "networking.k8s.io", version: "v1", resource: "networkpolicies" },
    name: "allow-all",
    object: {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "allow-all", namespace: "default", labels },
      spec: { podSelector: {}, ingress: [{}] },
    },
  };
}

describe("admission review", () => {
  it("parses every fixture request and answers each with a schema-valid response carrying its uid, in every mode", () => {
    expect(FIXTURES.length).toBeGreaterThanOrEqual(4);
    // The answers use only the fields of the Kubernetes documentation's response examples.
    const docsKeys = new Set((read("k8s-docs-response-examples.json") as { response: object }[]).flatMap((r) => Object.keys(r.response)));
    for (const file of FIXTURES) {
      const request = requestOf(file);
      for (const mode of ["enforce", "warn", "off"] as const) {
        const response = review(request, mode);
        expect(admissionResponse.parse(response)).toEqual(response);
        expect(response.uid).toBe(request.uid);
        for (const key of Object.keys(response)) expect(docsKeys).toContain(key);
      }
    }
  });

  it("refuses a pod without the app label: 403 in enforce, a warning in warn, nothing in off", () => {
    const pod = requestOf("kubewarden-pod-create.admissionreview.json");
    expect(review(pod, "enforce")).toEqual({
      uid: pod.uid,
      allowed: false,
      status: { code: 403, message: 'Policyplane: Pod default/nginx lacks the required label "app" (policies select workloads by it)' },
    });
    expect(review(pod, "warn")).toEqual({
      uid: pod.uid,
      allowed: true,
      warnings: ['Policyplane: Pod default/nginx lacks the required label "app" (policies select workloads by it)'],
    });
    expect(review(pod, "off")).toEqual({ uid: pod.uid, allowed: true });
    const labelled = { ...pod, object: { ...pod.object, metadata: { name: "nginx", namespace: "default", labels: { app: "nginx" } } } };
    expect(review(labelled, "enforce")).toEqual({ uid: pod.uid, allowed: true });
  });

  it("refuses a namespace without its tenant unless it is a platform namespace", () => {
    for (const file of ["kubewarden-namespace-create.admissionreview.json", "kubewarden-namespace-create-annotated.admissionreview.json"]) {
      const ns = requestOf(file);
      expect(findings(ns)).toEqual([expect.stringMatching(/^Namespace test lacks the required label "tenant"/)]);
      const meta = (ns.object as { metadata: { labels?: Record<string, string> } }).metadata;
      const withLabels = (labels: Record<string, string>) => ({
        ...ns,
        object: { ...ns.object, metadata: { ...meta, labels: { ...meta.labels, ...labels } } },
      });
      expect(findings(withLabels({ tenant: "payments" }))).toEqual([]);
      expect(findings(withLabels({ "policyplane.io/platform": "true" }))).toEqual([]);
    }
  });

  it("lets a scale subresource update through: it changes neither labels nor rules", () => {
    const scale = requestOf("k8s-docs-scale-update.admissionreview.json");
    expect(review(scale, "enforce")).toEqual({ uid: scale.uid, allowed: true });
  });

  it("refuses network policy Policyplane did not render, and admits what it did", () => {
    const foreign = networkPolicyRequest({ team: "a" });
    const refused = review(foreign, "enforce");
    expect(refused.allowed).toBe(false);
    expect(refused.status?.message).toMatch(
      /NetworkPolicy default\/allow-all is not managed by Policyplane \(label app\.kubernetes\.io\/managed-by=policyplane\)/,
    );
    expect(review(networkPolicyRequest({ ...MANAGED_BY }), "enforce").allowed).toBe(true);
    for (const [group, kind] of [
      ["policy.networking.k8s.io", "AdminNetworkPolicy"],
      ["policy.networking.k8s.io", "ClusterNetworkPolicy"],
      ["cilium.io", "CiliumNetworkPolicy"],
      ["cilium.io", "CiliumClusterwideNetworkPolicy"],
    ] as const) {
      const r = { ...foreign, kind: { group, version: "v1", kind } };
      expect(review(r, "enforce").allowed, kind).toBe(false);
      expect(review({ ...r, operation: "DELETE" as const }, "enforce").allowed, kind).toBe(true);
    }
    // A dry run gets the same answer.
    expect(review({ ...foreign, dryRun: true }, "enforce")).toEqual(refused);
  });
});
