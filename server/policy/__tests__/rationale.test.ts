/**
 * The rationale of a decision, pinned for every decision kind: admin deny, admin pass, namespace
 * allow and isolation deny, baseline, the platform default, exceptions (active and expired),
 * constraints, directions that do not apply, and each kind of nearest allow.
 *
 * The evaluator builds the rationale only when a caller reads it; the golden file
 * (__fixtures__/rationale.golden.json) was recorded from the evaluator that built it eagerly with
 * every decision, so these tests hold the lazy rationale to the eager one.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createEvaluator, type Decision, type DirectionDecision } from "../eval/evaluator";
import { formatDecisionPath, formatExplanation } from "../eval/explain";
import { parseEndpoint } from "../flows";
import { MATCH_ALL, type Policy, type Protocol } from "../model";
import { FIXTURES, read } from "./harness";

const MANIFESTS = `
{apiVersion: v1, kind: Namespace, metadata: {name: app, labels: {team: red}}}
---
{apiVersion: v1, kind: Namespace, metadata: {name: ops, labels: {team: blue}}}
---
{apiVersion: v1, kind: Namespace, metadata: {name: lab, labels: {team: green}}}
---
{apiVersion: v1, kind: Pod, metadata: {name: web, namespace: app, labels: {app: web}}, spec: {containers: [{name: c, ports: [{containerPort: 8080, name: http}]}]}, status: {podIP: 10.1.0.1}}
---
{apiVersion: v1, kind: Pod, metadata: {name: db, namespace: app, labels: {app: db}}, spec: {containers: [{name: c, ports: [{containerPort: 5432, name: pg}]}]}, status: {podIP: 10.1.0.2}}
---
{apiVersion: v1, kind: Pod, metadata: {name: prom, namespace: ops, labels: {app: prom}}, spec: {containers: [{name: c}]}, status: {podIP: 10.2.0.1}}
---
{apiVersion: v1, kind: Pod, metadata: {name: box, namespace: lab, labels: {app: box}}, spec: {containers: [{name: c, ports: [{containerPort: 80}]}]}, status: {podIP: 10.3.0.1}}
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: guard}
spec:
  priority: 10
  subject: {namespaces: {matchLabels: {team: red}}}
  ingress:
  - {name: no-ssh, action: Deny, from: [{namespaces: {}}], ports: [{portNumber: {protocol: TCP, port: 22}}]}
  - {name: ops-any, action: Allow, from: [{namespaces: {matchLabels: {team: blue}}}], ports: [{portNumber: {protocol: TCP, port: 9000}}, {portNumber: {protocol: TCP, port: 22}}]}
  - {name: ops-to-namespace, action: Pass, from: [{namespaces: {matchLabels: {team: blue}}}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-from-web, namespace: app}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress: [{from: [{podSelector: {matchLabels: {app: web}}}], ports: [{port: 5432}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-from-ops, namespace: app}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress: [{from: [{namespaceSelector: {matchLabels: {team: blue}}}], ports: [{port: http}]}]
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: BaselineAdminNetworkPolicy
metadata: {name: default}
spec:
  subject: {namespaces: {matchLabels: {team: green}}}
  ingress:
  - {name: lab-closed, action: Deny, from: [{namespaces: {}}]}
`;

const ruleRef = (name: string, direction: "ingress" | "egress") => ({ kind: "Test", name, direction, ruleIndex: 0 });
const everyone = { namespaces: { kind: "selector" as const, selector: MATCH_ALL }, pods: MATCH_ALL };
const extra: Policy[] = [
  {
    id: "exc",
    layer: "exception",
    expiresAt: "2030-01-01T00:00:00Z",
    subject: { namespaces: { kind: "names", names: ["lab"] }, pods: MATCH_ALL },
    policyTypes: { ingress: true, egress: true },
    rules: [
      {
        direction: "egress",
        action: "allow",
        peers: [
          {
            kind: "workloads",
            selector: { namespaces: { kind: "names", names: ["app"] }, pods: { matchLabels: { app: "db" }, matchExpressions: [] } },
          },
        ],
        ports: [{ kind: "number", protocol: "TCP", port: 5432 }],
        ref: ruleRef("exc", "egress"),
      },
    ],
    ref: { kind: "Test", name: "exc" },
  },
  {
    id: "no-metadata",
    layer: "constraint",
    subject: everyone,
    policyTypes: { ingress: true, egress: true },
    rules: [
      {
        direction: "egress",
        action: "deny",
        peers: [{ kind: "ipBlock", cidr: "169.254.169.254/32", except: [] }],
        ports: null,
        ref: ruleRef("no-metadata", "egress"),
      },
    ],
    ref: { kind: "Test", name: "no-metadata" },
  },
];

const BEFORE_EXPIRY = "2029-06-01T00:00:00Z";
const AFTER_EXPIRY = "2030-06-01T00:00:00Z";

/** Each flow as "src -> dst port/PROTO [@time]", decided by the plain and the secure-by-default evaluator. */
const FLOWS = [
  "ops/prom -> app/db 22/TCP", // admin deny; nearest allow: a later admin rule that matches (overridden)
  "ops/prom -> app/web 8080/TCP", // admin pass, then namespace allow (named port)
  "ops/prom -> app/db 5432/TCP", // admin pass, then namespace isolation deny; nearest allow: same port, other peer
  "ops/prom -> app/web 9000/TCP", // admin allow, although the namespace policy isolates web
  "app/web -> app/db 5432/TCP", // namespace allow
  "app/web -> app/db 5433/TCP", // isolation deny; nearest allow: same peer, other port
  "app/web -> lab/box 80/TCP", // baseline deny
  "ops/prom -> lab/box 80/TCP", // baseline deny
  "lab/box -> ops/prom 80/TCP", // no policy: the default (allow, or deny when secure by default)
  "lab/box -> app/db 5432/TCP @" + BEFORE_EXPIRY, // exception
  "lab/box -> app/db 5432/TCP @" + AFTER_EXPIRY, // the expired exception: isolation deny
  "app/web -> 169.254.169.254 80/TCP", // constraint
  "203.0.113.9 -> app/web 8080/TCP", // egress does not apply (external source)
  "app/web -> 203.0.113.9 443/TCP", // ingress does not apply (external destination)
];

function flowOf(spec: string): { src: string; dst: string; port: number; protocol: Protocol; time?: string } {
  const m = /^(\S+) -> (\S+) (\d+)\/(TCP|UDP|SCTP)(?: @(\S+))?$/.exec(spec);
  if (!m) throw new Error(`bad flow ${spec}`);
  return { src: m[1]!, dst: m[2]!, port: Number(m[3]), protocol: m[4] as Protocol, ...(m[5] ? { time: m[5] } : {}) };
}

/** Everything a caller can read from a decision, as plain data. */
function snapshot(d: Decision, f: ReturnType<typeof flowOf>) {
  const dir = (x: DirectionDecision) => ({ applicable: x.applicable, verdict: x.verdict, effects: x.effects.map((e) => ({ ...e })) });
  return {
    verdict: d.verdict,
    ...(d.flow ? { flow: { ...d.flow } } : {}),
    egress: dir(d.egress),
    ingress: dir(d.ingress),
    ...(d.nearestAllow ? { nearestAllow: { ...d.nearestAllow } } : {}),
    path: formatDecisionPath(d),
    text: formatExplanation(f, d),
  };
}

function decideAll(secureByDefault: boolean, how: "cached" | "uncached"): Map<string, Decision> {
  const r = read({ file: "rationale.yaml", text: MANIFESTS });
  const ev = createEvaluator(r.cluster, { policies: [...r.policies.policies, ...extra] }, { secureByDefault });
  const out = new Map<string, Decision>();
  for (const spec of FLOWS) {
    const f = flowOf(spec);
    const flow = {
      src: parseEndpoint(f.src)!,
      dst: parseEndpoint(f.dst)!,
      port: f.port,
      protocol: f.protocol,
      time: f.time ?? BEFORE_EXPIRY,
    };
    if (how === "cached") {
      const res = ev.decide(flow);
      if (!res.ok) throw res.error;
      out.set(spec, res.value);
    } else {
      const s = ev.resolve(flow.src);
      const t = ev.resolve(flow.dst);
      if (!s.ok || !t.ok) throw new Error(`unresolved ${spec}`);
      out.set(spec, ev.decideUncached(s.value, t.value, f.port, f.protocol, flow.time));
    }
  }
  return out;
}

/** The rationale of every flow, read only after every decision was made (and the cache holds them all). */
const rationales = (decisions: Map<string, Decision>) =>
  Object.fromEntries([...decisions].map(([spec, d]) => [spec, snapshot(d, flowOf(spec))]));

const golden = JSON.parse(readFileSync(join(FIXTURES, "rationale.golden.json"), "utf8")) as Record<string, Record<string, unknown>>;

describe("rationale of every decision kind", () => {
  for (const secure of [false, true]) {
    const mode = secure ? "secure by default" : "plain Kubernetes";
    it(`matches the eagerly built rationale (${mode}, through the decision cache)`, () => {
      expect(rationales(decideAll(secure, "cached"))).toEqual(golden[mode]);
    });
    it(`matches the eagerly built rationale (${mode}, uncached)`, () => {
      expect(rationales(decideAll(secure, "uncached"))).toEqual(golden[mode]);
    });
  }

  it("serialises a decision to the same plain data (JSON)", () => {
    for (const [spec, d] of decideAll(true, "cached")) {
      const { path: _path, text: _text, ...plain } = golden["secure by default"]![spec] as Record<string, unknown>;
      expect(JSON.parse(JSON.stringify(d)), spec).toEqual(plain);
    }
  });

  it("covers each decision kind", () => {
    const layers = new Set<string>();
    for (const mode of Object.values(golden)) {
      for (const s of Object.values(mode) as {
        flow?: { layer: string };
        egress: { effects: { layer: string; verdict: string }[] };
        ingress: { effects: { layer: string; verdict: string }[] };
        nearestAllow?: { differs: string };
      }[]) {
        if (s.flow) layers.add(`flow ${s.flow.layer}`);
        for (const e of [...s.egress.effects, ...s.ingress.effects]) layers.add(`${e.layer} ${e.verdict}`);
        if (s.nearestAllow) layers.add(`nearest ${s.nearestAllow.differs}`);
      }
    }
    expect([...layers].sort()).toEqual([
      "admin allow",
      "admin deny",
      "admin pass",
      "baseline deny",
      "constraint deny",
      "default allow",
      "default deny",
      "exception allow",
      "flow constraint",
      "flow exception",
      "namespace allow",
      "namespace deny",
      "nearest overridden",
      "nearest peer",
      "nearest port",
    ]);
  });
});
