import { describe, expect, it } from "vitest";
import { issue10Documents, issue10Model } from "@/server/testing/issue-10";
import { compileDocuments, type CompiledObject } from "@/server/policy/compile/compile";
import { PLATFORM_DEFAULT_ALL, PLATFORM_DEFAULT_OFF } from "@/server/policy/model";
import type { StoredDocument } from "@/server/drafts/documents";
import { asLocated } from "@/server/drafts/engine";
import { verifyCompiledPairByPair } from "@/server/policy/compile/verify";
import { CHECK_LISTED, checkReleaseCompile, compileCheckRefusal, renderRelease, type ReleaseRenderInput } from "./render";
import { planWaves, targetOf } from "./waves";

// The case of issue 10: the namespace policy "shop accepts 8080 from ingress-nginx" and the
// baseline "tenant namespaces deny anything not explicitly allowed", secure by default on.
const model = issue10Model;
const documents: StoredDocument[] = issue10Documents;
const input: ReleaseRenderInput = {
  documents,
  clusters: [
    { name: "canary", model, target: "anp" },
    { name: "prod", model, target: "cnp-v1alpha2" },
  ],
  platformDefault: PLATFORM_DEFAULT_ALL,
  release: "7",
  time: "2026-06-01T00:00:00Z",
};

describe("a release's render and compile check per cluster", () => {
  it("renders every cluster with its own target, counting and hashing the objects the cluster must apply", () => {
    const [canary, prod] = renderRelease(input);
    expect(canary).toMatchObject({ cluster: "canary", target: "anp", errors: [] });
    expect(prod).toMatchObject({ cluster: "prod", target: "cnp-v1alpha2", errors: [] });
    expect(canary!.objects).toBeGreaterThan(1);
    expect(canary!.hash).not.toBe(prod!.hash);
    expect(renderRelease(input)[0]!.hash).toBe(canary!.hash);
    expect(renderRelease({ ...input, release: "8" })[0]!.hash).not.toBe(canary!.hash);
  });

  it("passes the issue's case now that the platform default is rendered into the clusters", () => {
    const checks = checkReleaseCompile(input);
    expect(checks.map((c) => [c.cluster, c.disagreements.length, c.errors.length])).toEqual([
      ["canary", 0, 0],
      ["prod", 0, 0],
    ]);
    expect(checks.every((c) => c.flows > 0)).toBe(true);
    expect(compileCheckRefusal(checks)).toBeNull();
  });

  it("refuses, naming cluster and flow, when the objects decide unlike the platform (the compile before issue 10, without the default)", () => {
    // The compiler as it was: the platform default existed only in the engine, never in the cluster.
    const withoutDefault = (i: ReleaseRenderInput, c: ReleaseRenderInput["clusters"][number]) =>
      compileDocuments(i.documents.map(asLocated), c, { target: c.target, now: i.time, platformDefault: PLATFORM_DEFAULT_OFF });
    const refusal = compileCheckRefusal(checkReleaseCompile(input, withoutDefault));
    expect(refusal).toMatch(/^cluster canary \(anp\): the compiled objects decide \d+ flow\(s\) unlike the platform: /);
    expect(refusal).toContain("ingress-nginx/controller shop/web 8080/TCP platform=deny cluster=allow canary/anp");
    expect(refusal).toContain("cluster prod (cnp-v1alpha2)");
    expect(refusal).toMatch(/; and \d+ more/);
  });

  it("counts every disagreeing flow while listing only the first few, so a broken compile of a large cluster stays small", () => {
    // A compile that renders nothing: the cluster allows everything the platform denies.
    const nothing = (i: ReleaseRenderInput, c: ReleaseRenderInput["clusters"][number]) => ({
      ...compileDocuments(i.documents.map(asLocated), c, { target: c.target, now: i.time, platformDefault: i.platformDefault }),
      objects: [],
    });
    // Ten more namespaces with a pod each: more identities, all under the platform default.
    const larger = {
      ...model,
      namespaces: [...model.namespaces, ...Array.from({ length: 10 }, (_, i) => ({ name: `team-${i}`, labels: {} }))],
      pods: [
        ...model.pods,
        ...Array.from({ length: 10 }, (_, i) => ({
          namespace: `team-${i}`,
          name: "app",
          labels: { app: "app" },
          ports: [],
          ips: [`10.9.0.${i + 1}`],
          hostNetwork: false,
        })),
      ],
    };
    const big: ReleaseRenderInput = { ...input, clusters: [{ name: "canary", model: larger, target: "anp" }] };
    const [canary] = checkReleaseCompile(big, nothing);
    // The reference decides every pair of identities one by one.
    const all = verifyCompiledPairByPair(nothing(big, big.clusters[0]!), {
      target: "anp",
      platformDefault: input.platformDefault,
      time: input.time,
      listNotExpressible: false,
    });
    expect(all.disagreementCount).toBeGreaterThan(CHECK_LISTED);
    expect(canary!.disagreementCount).toBe(all.disagreementCount);
    expect(canary!.disagreements).toHaveLength(CHECK_LISTED);
    const refusal = compileCheckRefusal([canary!]);
    expect(refusal).toContain(`decide ${all.disagreementCount} flow(s) unlike the platform`);
    expect(refusal).toContain(`; and ${all.disagreementCount - 3} more`);
  });
});

// An approved exception in force: shop's web may reach bank's ledger on 5432 for one day.
const exception: StoredDocument = {
  policyId: "exception:1",
  name: "exception-1",
  kind: "Exception",
  tier: "exception",
  tenantId: null,
  version: 1,
  document: {
    apiVersion: "policyplane.io/v1",
    kind: "Exception",
    metadata: { name: "exception-1" },
    spec: {
      subject: { namespaces: ["shop"], podSelector: { matchLabels: { app: "web" } } },
      direction: "egress",
      peers: [{ workloads: { namespaces: ["bank"], podSelector: { matchLabels: { app: "ledger" } } } }],
      ports: [{ port: 5432, protocol: "TCP" }],
      justification: "The nightly reconciliation reads the ledger until the export job exists.",
      startsAt: "2026-05-31T00:00:00Z",
      expiresAt: "2026-06-02T00:00:00Z",
    },
  },
};
const withException: ReleaseRenderInput = { ...input, documents: [...documents, exception] };
const EXCEPTED_FLOW = "shop/web bank/ledger 5432/TCP";

describe("a release's compile check with an approved exception in force (issue 10)", () => {
  it("checks the exception's compiled objects against the engine: they allow what the engine allows, on both targets", () => {
    const checks = checkReleaseCompile(withException);
    expect(checks.map((c) => [c.cluster, c.disagreements.length, c.errors.length])).toEqual([
      ["canary", 0, 0],
      ["prod", 0, 0],
    ]);
    // The exception's flow is among those compared (its port is probed) and more flows are compared than without it.
    const without = checkReleaseCompile(input);
    expect(checks[0]!.flows).toBeGreaterThanOrEqual(without[0]!.flows);
    expect(renderRelease(withException)[0]!.objects).toBeGreaterThan(renderRelease(input)[0]!.objects);
  });

  it("refuses a compile that leaves the exception's objects out while the engine counts it, naming the flow", () => {
    const dropException = (i: ReleaseRenderInput, c: ReleaseRenderInput["clusters"][number]) => {
      const compiled = compileDocuments(i.documents.map(asLocated), c, {
        target: c.target,
        now: i.time,
        platformDefault: i.platformDefault,
      });
      const fromException = (o: CompiledObject) => (o.object.metadata.annotations["policyplane.io/source"] ?? "").includes("Exception/");
      return { ...compiled, objects: compiled.objects.filter((o) => !fromException(o)) };
    };
    const refusal = compileCheckRefusal(checkReleaseCompile(withException, dropException));
    expect(refusal).toContain(`${EXCEPTED_FLOW} platform=allow cluster=deny canary/anp (decided by Exception/exception-1)`);
  });

  it("leaves an expired exception out of both sides: the engine denies its flow and so do the objects", () => {
    const later = { ...withException, time: "2026-06-02T00:00:00Z" };
    const checks = checkReleaseCompile(later);
    expect(checks.every((c) => c.disagreements.length === 0 && c.errors.length === 0)).toBe(true);
    expect(renderRelease(later)[0]!.hash).toBe(renderRelease({ ...input, time: later.time })[0]!.hash);
  });
});

describe("the wave plan", () => {
  it("orders clusters by their wave label, canary first, unlabelled clusters last, numbering the waves densely", () => {
    expect(
      planWaves([
        { name: "prod-us", labels: { wave: "30" } },
        { name: "lab", labels: {} },
        { name: "staging", labels: { wave: "1" } },
        { name: "prod-eu", labels: { wave: "30" } },
        { name: "odd", labels: { wave: "soon" } },
      ]),
    ).toEqual([
      { name: "staging", wave: 1 },
      { name: "prod-eu", wave: 2 },
      { name: "prod-us", wave: 2 },
      { name: "lab", wave: 3 },
      { name: "odd", wave: 3 },
    ]);
  });

  it("reads a cluster's compile target from its label, AdminNetworkPolicy unless it names a known one", () => {
    expect(targetOf({ "policyplane.io/target": "cnp-v1alpha2" })).toBe("cnp-v1alpha2");
    expect(targetOf({ "policyplane.io/target": "calico" })).toBe("anp");
    expect(targetOf({})).toBe("anp");
  });
});
