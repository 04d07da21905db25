/** Decision order beyond Kubernetes objects (constraints, exceptions, secure by default), rationale and caches. */
import { describe, expect, it } from "vitest";
import { createEvaluator } from "../eval/evaluator";
import { MAX_REMEMBERED_ENDPOINTS } from "../eval/identities";
import { formatDecisionPath, formatExplanation } from "../eval/explain";
import { computeReachability } from "../eval/reachability";
import type { PolicySet } from "../model";
import { denyAllIngress as isolateIngress, evaluatorFor, fixture, semanticsCluster, testPolicy } from "./harness";

const cluster = semanticsCluster();
const pod = (ns: string, name: string) => ({ kind: "pod" as const, namespace: ns, name });
const policy = testPolicy;
const ruleRef = (name: string, direction: "ingress" | "egress") => ({ kind: "Test", name, direction, ruleIndex: 0 });
const toWeb = {
  kind: "workloads" as const,
  selector: { namespaces: { kind: "names" as const, names: ["app"] }, pods: { matchLabels: { app: "web" }, matchExpressions: [] } },
};

describe("decision order", () => {
  const denyAllIngress = isolateIngress("app");

  it("an active exception allows a flow the namespace policies deny, and stops counting once expired", () => {
    const set: PolicySet = {
      policies: [
        denyAllIngress,
        policy({
          id: "exc",
          layer: "exception",
          expiresAt: "2030-01-01T00:00:00Z",
          rules: [
            {
              direction: "egress",
              action: "allow",
              peers: [toWeb],
              ports: [{ kind: "number", protocol: "TCP", port: 8080 }],
              ref: ruleRef("exc", "egress"),
            },
          ],
        }),
      ],
    };
    const ev = createEvaluator(cluster, set);
    const flow = { src: pod("ops", "prom"), dst: pod("app", "web"), port: 8080, protocol: "TCP" as const };
    const before = ev.decide({ ...flow, time: "2029-12-31T23:59:59Z" });
    const after = ev.decide({ ...flow, time: "2030-01-01T00:00:00Z" });
    expect(before.ok && before.value.verdict).toBe("allow");
    expect(before.ok && before.value.flow?.layer).toBe("exception");
    expect(after.ok && after.value.verdict).toBe("deny");
  });

  it("counts each exception until its own expiry instant, whatever the order of expiries and the form of the time", () => {
    const exc = (id: string, expiresAt: string, port: number) =>
      policy({
        id,
        layer: "exception",
        expiresAt,
        rules: [
          {
            direction: "egress",
            action: "allow",
            peers: [toWeb],
            ports: [{ kind: "number", protocol: "TCP", port }],
            ref: ruleRef(id, "egress"),
          },
        ],
      });
    const ev = createEvaluator(cluster, {
      policies: [
        denyAllIngress,
        exc("late", "2031-01-01T00:00:00Z", 8080),
        exc("early", "2030-01-01T00:00:00Z", 8081),
        exc("unreadable", "next tuesday", 8082),
      ],
    });
    const verdict = (port: number, time: string | Date) => {
      const d = ev.decide({ src: pod("ops", "prom"), dst: pod("app", "web"), port, protocol: "TCP", time });
      return d.ok ? d.value.verdict : d.error.message;
    };
    expect([verdict(8080, "2030-12-31T23:59:59.999Z"), verdict(8080, "2031-01-01T00:00:00Z")]).toEqual(["allow", "deny"]);
    expect([
      verdict(8081, new Date("2029-12-31T23:59:59.999Z")),
      verdict(8081, new Date("2030-01-01T00:00:00Z")),
      verdict(8081, "2020-01-01T00:00:00Z"),
    ]).toEqual(["allow", "deny", "allow"]);
    expect(verdict(8082, "2020-01-01T00:00:00Z")).toBe("deny");
    // A time that is not one counts no exception as active anywhere: decide() says so, reachability refuses it.
    expect(verdict(8080, "soon")).toMatch(/expected an ISO-8601 instant/);
    expect(() => computeReachability(ev, { time: "soon" })).toThrow('not a time: "soon"');
  });

  it("never offers an expired exception as the nearest allow of a deny", () => {
    const set: PolicySet = {
      policies: [
        denyAllIngress,
        policy({
          id: "old-exc",
          layer: "exception",
          expiresAt: "2030-01-01T00:00:00Z",
          rules: [
            {
              direction: "ingress",
              action: "allow",
              peers: null,
              ports: [{ kind: "number", protocol: "TCP", port: 8080 }],
              ref: ruleRef("old-exc", "ingress"),
            },
          ],
        }),
      ],
    };
    const ev = createEvaluator(cluster, set);
    const after = ev.decide({ src: pod("ops", "prom"), dst: pod("app", "web"), port: 8080, protocol: "TCP", time: "2030-06-01T00:00:00Z" });
    expect(after.ok && after.value.verdict).toBe("deny");
    expect(after.ok && after.value.nearestAllow?.rule.name).not.toBe("old-exc");
    expect(after.ok && after.value.nearestAllow?.layer).not.toBe("exception");
  });

  it("a compliance constraint denies even what an exception and the default would allow", () => {
    const set: PolicySet = {
      policies: [
        policy({
          id: "c",
          layer: "constraint",
          rules: [
            { direction: "egress", action: "deny", peers: [{ kind: "entity", entity: "world" }], ports: null, ref: ruleRef("c", "egress") },
          ],
        }),
        policy({
          id: "exc",
          layer: "exception",
          rules: [
            {
              direction: "egress",
              action: "allow",
              peers: [{ kind: "ipBlock", cidr: "0.0.0.0/0", except: [] }],
              ports: null,
              ref: ruleRef("exc", "egress"),
            },
          ],
        }),
      ],
    };
    const ev = createEvaluator(cluster, set);
    const d = ev.decide({ src: pod("app", "web"), dst: { kind: "ip", ip: "8.8.8.8" }, port: 53, protocol: "UDP" });
    expect(d.ok && d.value.verdict).toBe("deny");
    expect(d.ok && d.value.flow?.layer).toBe("constraint");
    const inCluster = ev.decide({ src: pod("app", "web"), dst: pod("ops", "prom"), port: 80, protocol: "TCP" });
    expect(inCluster.ok && inCluster.value.verdict).toBe("allow");
  });

  it("secure by default denies what no layer decides; plain Kubernetes allows it", () => {
    const plain = createEvaluator(cluster, { policies: [] });
    const secure = createEvaluator(cluster, { policies: [] }, { secureByDefault: true });
    const flow = { src: pod("app", "client"), dst: pod("app", "web"), port: 8080, protocol: "TCP" as const };
    expect(plain.decide(flow).ok && (plain.decide(flow) as { value: { verdict: string } }).value.verdict).toBe("allow");
    const d = secure.decide(flow);
    expect(d.ok && d.value.verdict).toBe("deny");
    expect(d.ok && formatDecisionPath(d.value)).toContain("[default] deny");
  });
});

describe("rationale", () => {
  it("prints the path through the layers and names the closest rule that would allow a denied flow", () => {
    const ev = evaluatorFor([fixture("recipes/09-allow-traffic-only-to-a-port.yaml")]);
    const d = ev.decide({ src: pod("default", "test-monitoring"), dst: pod("default", "apiserver"), port: 8000, protocol: "TCP" });
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    expect(formatDecisionPath(d.value)).toBe("egress: [default] allow; ingress: [namespace] deny (default/api-allow-5000)");
    expect(d.value.nearestAllow).toMatchObject({ differs: "port", rule: { name: "api-allow-5000", ruleIndex: 0 } });
    const text = formatExplanation({ src: "default/test-monitoring", dst: "default/apiserver", port: 8000, protocol: "TCP" }, d.value);
    expect(text).toContain(
      "closest rule that would allow it: NetworkPolicy default/api-allow-5000 ingress rule 0 allows this peer on 5000/TCP",
    );
  });

  it("shows a Pass from the admin tier followed by the namespace decision", () => {
    const base = fixture("anp/conformance-base-manifests.yaml");
    const anp = fixture("anp/api-integration-anp-np-banp.yaml").split('action: "Deny" # test will update to pass').join('action: "Pass"');
    const ev = evaluatorFor([base, anp]);
    const d = ev.decide({
      src: pod("network-policy-conformance-slytherin", "draco-malfoy-0"),
      dst: pod("network-policy-conformance-gryffindor", "harry-potter-1"),
      port: 80,
      protocol: "TCP",
    });
    expect(d.ok && formatDecisionPath(d.value)).toMatch(
      /ingress: \[cluster\] pass \(pass-example ingress rule 0 "deny-all-ingress-from-slytherin"\) → \[namespace\] allow \(network-policy-conformance-gryffindor\/allow-gress-from-to-slytherin-to-gryffindor ingress rule 0\)/,
    );
  });
});

describe("identity cache", () => {
  it("pods with the same namespace, labels and ports share an identity and a cached decision", () => {
    const ev = evaluatorFor([fixture("anp/conformance-base-manifests.yaml"), fixture("anp/anp-standard-gress-rules-combined.yaml")]);
    const a = ev.resolve(pod("network-policy-conformance-gryffindor", "harry-potter-0"));
    const b = ev.resolve(pod("network-policy-conformance-gryffindor", "harry-potter-1"));
    expect(a.ok && b.ok && a.value.id === b.value.id).toBe(true);
    ev.clearCache();
    const f = (n: number) => ({
      src: pod("network-policy-conformance-gryffindor", `harry-potter-${n}`),
      dst: pod("network-policy-conformance-slytherin", "draco-malfoy-0"),
      port: 80,
      protocol: "TCP" as const,
    });
    const d0 = ev.decide(f(0));
    const d1 = ev.decide(f(1));
    expect(d0.ok && d1.ok && d0.value === d1.value).toBe(true);
    expect(ev.cacheStats()).toMatchObject({ hits: 1, misses: 1 });
  });

  it("keeps at most maxCachedDecisions decisions and memoised directions, starting over past it with the same answers", () => {
    const texts = [fixture("anp/conformance-base-manifests.yaml"), fixture("anp/anp-standard-gress-rules-combined.yaml")];
    const bounded = evaluatorFor(texts, { maxCachedDecisions: 40 });
    const unbounded = evaluatorFor(texts);
    const answer = (d: ReturnType<typeof bounded.decide>) => (d.ok ? `${d.value.verdict} ${formatDecisionPath(d.value)}` : d.error.message);
    let largest = 0;
    // A scan of ports: every one a new tuple, as a port scan brings to a long-running decision point.
    for (let port = 1; port <= 300; port++)
      for (const [src, dst] of [
        ["network-policy-conformance-gryffindor/harry-potter-0", "network-policy-conformance-slytherin/draco-malfoy-0"],
        ["network-policy-conformance-slytherin/draco-malfoy-1", "network-policy-conformance-hufflepuff/cedric-diggory-0"],
      ] as const) {
        const flow = {
          src: pod(...(src.split("/") as [string, string])),
          dst: pod(...(dst.split("/") as [string, string])),
          port,
          protocol: "TCP" as const,
        };
        expect(answer(bounded.decide(flow))).toBe(answer(unbounded.decide(flow)));
        const { entries, memo } = bounded.cacheStats();
        largest = Math.max(largest, entries + memo);
      }
    // Checked before each new decision, which adds at most six entries: itself, an egress direction, two admin walks, two port lists.
    expect(largest).toBeLessThan(40 + 6);
    expect(unbounded.cacheStats().entries).toBe(600);
    // Simulate's byte path decides without the cache; the memo it shares is bounded the same way.
    const [a, b] = ["harry-potter-0", "cedric-diggory-0"].map((name, i) =>
      bounded.resolve(pod(i === 0 ? "network-policy-conformance-gryffindor" : "network-policy-conformance-hufflepuff", name)),
    );
    if (!a?.ok || !b?.ok) throw new Error("the fixture's pods resolve");
    for (let port = 1; port <= 300; port++) {
      bounded.decideAtEpoch(a.value, b.value, port, "UDP", 0);
      expect(bounded.cacheStats().memo).toBeLessThan(40 + 6);
    }
  });

  it("remembers at most MAX_REMEMBERED_ENDPOINTS addresses resolved on demand, and finds the same identity after starting over", () => {
    const ev = evaluatorFor([fixture("recipes/01-deny-all-traffic-to-an-application.yaml")]);
    const ip = (n: number) => ({ kind: "ip" as const, ip: `203.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}` });
    const first = ev.resolve(ip(0));
    for (let n = 1; n <= MAX_REMEMBERED_ENDPOINTS + 10; n++) ev.resolve(ip(n));
    expect(ev.cacheStats().remembered).toBeLessThanOrEqual(MAX_REMEMBERED_ENDPOINTS);
    const again = ev.resolve(ip(0));
    expect(first.ok && again.ok && again.value.id === first.value.id).toBe(true);
  });

  it("reports unknown pods, bad addresses and bad ports as errors, not exceptions", () => {
    const ev = evaluatorFor([fixture("recipes/01-deny-all-traffic-to-an-application.yaml")]);
    const unknown = ev.decide({ src: pod("default", "nope"), dst: pod("default", "web"), port: 80, protocol: "TCP" });
    expect(unknown.ok).toBe(false);
    const badPort = ev.decide({ src: pod("default", "web"), dst: pod("default", "web"), port: 70000, protocol: "TCP" });
    expect(!badPort.ok && badPort.error.field).toBe("port");
    for (const protocol of ["tcp", "constructor", "toString"]) {
      const bad = ev.decide({ src: pod("default", "web"), dst: pod("default", "web"), port: 80, protocol: protocol as "TCP" });
      expect(!bad.ok && bad.error.field, protocol).toBe("protocol");
    }
  });
});

describe("reachability", () => {
  // The bitset algorithm must agree with deciding every pod pair one by one.
  const scenarios: [string, string[]][] = [
    ["recipe 11", [fixture("recipes/11-deny-egress-traffic-from-an-application.yaml")]],
    ["recipe 09", [fixture("recipes/09-allow-traffic-only-to-a-port.yaml")]],
    ["ANP + NP + BANP", [fixture("anp/conformance-base-manifests.yaml"), fixture("anp/api-integration-anp-np-banp.yaml")]],
    ["ANP rules combined", [fixture("anp/conformance-base-manifests.yaml"), fixture("anp/anp-standard-gress-rules-combined.yaml")]],
    [
      "netpol model with a named-port egress policy",
      [
        fixture("netpol-e2e.model.yaml"),
        "{apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: e, namespace: x}, spec: {policyTypes: [Egress], podSelector: {matchLabels: {pod: a}}, egress: [{ports: [{port: serve-80-tcp}], to: [{namespaceSelector: {matchLabels: {ns: y}}}]}]}}",
      ],
    ],
  ];
  for (const [name, texts] of scenarios) {
    it(`agrees with per-flow decisions: ${name}`, () => {
      const ev = evaluatorFor(texts);
      const graph = computeReachability(ev, { rationale: false });
      const got = new Set<string>();
      for (const e of graph.edges) for (const p of e.ports) if (!p.startsWith("*")) got.add(`${e.from}|${e.to}|${p}`);
      const want = new Set<string>();
      for (const s of ev.podEntries) {
        for (const d of ev.podEntries) {
          const ports = d.pod.ports.length ? d.pod.ports : [];
          for (const p of ports) {
            const dec = ev.decideIdentities(s.identity, d.identity, p.port, p.protocol);
            const sw = s.pod.workload ?? { kind: "Pod", name: s.pod.name };
            const dw = d.pod.workload ?? { kind: "Pod", name: d.pod.name };
            if (dec.verdict === "allow")
              want.add(`${s.pod.namespace}/${sw.kind}/${sw.name}|${d.pod.namespace}/${dw.kind}/${dw.name}|${p.port}/${p.protocol}`);
          }
        }
      }
      // Every pod-to-pod edge port the graph reports is allowed for some pod pair of those workloads.
      const wid = (e: (typeof ev.podEntries)[number]) =>
        `${e.pod.namespace}/${(e.pod.workload ?? { kind: "Pod" }).kind}/${(e.pod.workload ?? { name: e.pod.name }).name}`;
      for (const k of got) {
        const [from, to, port] = k.split("|") as [string, string, string];
        if (from.startsWith("external/") || to.startsWith("external/")) continue;
        const [num, proto] = port.split("/") as [string, "TCP" | "UDP" | "SCTP"];
        const ok = ev.podEntries.some(
          (s) =>
            wid(s) === from &&
            ev.podEntries.some((d) => wid(d) === to && ev.decideIdentities(s.identity, d.identity, Number(num), proto).verdict === "allow"),
        );
        expect(ok, k).toBe(true);
      }
      for (const k of want) expect(got.has(k), k).toBe(true);
    });
  }
});
