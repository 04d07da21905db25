import { describe, expect, it } from "vitest";
import { evaluatorFor } from "../__tests__/harness";
import { attachedRules, type PeerMatcher, type WorkloadsMatcher } from "./evaluator";

const CLUSTER = `
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {tenant: retail}}
---
apiVersion: v1
kind: Namespace
metadata: {name: ops, labels: {tenant: platform}}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec: {containers: [{name: c, ports: [{name: http, containerPort: 8080}]}]}
status: {podIP: 10.0.0.1}
---
apiVersion: v1
kind: Pod
metadata: {name: agent, namespace: shop, labels: {app: web}}
spec: {hostNetwork: true, nodeName: n1, containers: [{name: c}]}
status: {podIP: 192.168.0.9}
---
apiVersion: v1
kind: Pod
metadata: {name: probe, namespace: ops, labels: {app: probe}}
spec: {containers: [{name: c}]}
status: {podIP: 10.0.0.2}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-in, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {tenant: platform}}
    - ipBlock: {cidr: 203.0.113.0/24, except: [203.0.113.128/25]}
    ports: [{port: http}, {port: 9000, endPort: 9100}]
`;

function ingressMatchers() {
  const ev = evaluatorFor([CLUSTER]);
  const web = ev.findPod("shop", "web")!.identity;
  const rules = attachedRules(ev.subjectIndex(web.id).ingress);
  return { ev, web, rules };
}

describe("typed matchers", () => {
  it("say what they were built from, by kind, with the policy that holds them", () => {
    const { rules } = ingressMatchers();
    expect(rules).toHaveLength(1);
    const peers = rules[0]!.peers!;
    expect(peers.map((m: PeerMatcher) => m.kind)).toEqual(["workloads", "ipBlock"]);
    expect(peers.every((m) => m.policy.ref.name === "web-in")).toBe(true);
    const block = peers[1]!;
    expect(block.kind === "ipBlock" && block.peer.cidr).toBe("203.0.113.0/24");
    expect(rules[0]!.ports!.map((p) => p.kind)).toEqual(["named", "number"]);
    expect(rules[0]!.ports![1]).toMatchObject({ kind: "number", protocol: "TCP", from: 9000, to: 9100 });
  });

  it("let a workload selector answer for a namespace without an identity, as reachability narrows candidates with it", () => {
    const { rules } = ingressMatchers();
    const w = rules[0]!.peers![0] as WorkloadsMatcher;
    expect(w.selectsNamespace("ops", { tenant: "platform" })).toBe(true);
    expect(w.selectsNamespace("shop", { tenant: "retail" })).toBe(false);
  });

  it("never count a host-network pod as a workload peer, even in a selected namespace", () => {
    const { ev, rules } = ingressMatchers();
    const w = rules[0]!.peers![0]!;
    const probe = ev.findPod("ops", "probe")!.identity;
    const agent = ev.findPod("shop", "agent")!.identity;
    expect(w.matches(probe)).toBe(true);
    expect(agent.kind === "pod" && agent.hostNetwork).toBe(true);
    expect(w.matches(agent)).toBe(false);
  });

  it("match an ipBlock by the identity's recorded blocks, the except range left out", () => {
    const { ev, rules } = ingressMatchers();
    const block = rules[0]!.peers![1]!;
    const inside = ev.resolve({ kind: "ip", ip: "203.0.113.7" });
    const excepted = ev.resolve({ kind: "ip", ip: "203.0.113.200" });
    expect(inside.ok && block.matches(inside.value)).toBe(true);
    expect(excepted.ok && block.matches(excepted.value)).toBe(false);
  });
});

// Two namespaces whose policies repeat the same peers: `app: api` in the policy's own namespace (equal
// selector text, different endpoints) and one tenant selector (equal endpoints, so one shared memo).
const REPEATED_PEERS = ["a", "b"]
  .map((ns, n) =>
    [
      `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${ns}, labels: {tenant: t1}}\n`,
      ...["api", "db"].map(
        (app, i) =>
          `apiVersion: v1\nkind: Pod\nmetadata: {name: ${app}, namespace: ${ns}, labels: {app: ${app}}}\nspec: {containers: [{name: c}]}\nstatus: {podIP: 10.0.${n + 1}.${i + 1}}\n`,
      ),
      `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-in, namespace: ${ns}}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: api}}}]
  - from: [{namespaceSelector: {matchLabels: {tenant: t1}}}]
    ports: [{port: 9000}]
`,
    ].join("---\n"),
  )
  .join("---\n");

describe("peer matchers that repeat across policies", () => {
  it("keep answering for their own policy's namespace when their selector text is the same", () => {
    const ev = evaluatorFor([REPEATED_PEERS]);
    const pod = (ns: string, name: string) => ev.findPod(ns, name)!.identity;
    const peerIn = (ns: string) => attachedRules(ev.subjectIndex(pod(ns, "db").id).ingress)[0]!.peers![0]!;
    // Ask a's peer first, then b's about the same pods: a memo shared by selector text would answer b from a.
    expect(peerIn("a").matches(pod("a", "api"))).toBe(true);
    expect(peerIn("a").matches(pod("b", "api"))).toBe(false);
    expect(peerIn("b").matches(pod("a", "api"))).toBe(false);
    expect(peerIn("b").matches(pod("b", "api"))).toBe(true);
    const decide = (from: string, to: string, port: number) =>
      ev.decide({
        src: { kind: "pod", namespace: from, name: "api" },
        dst: { kind: "pod", namespace: to, name: "db" },
        port,
        protocol: "TCP",
      });
    const verdict = (r: ReturnType<typeof decide>) => (r.ok ? r.value.verdict : r.error.message);
    expect([verdict(decide("a", "a", 5432)), verdict(decide("a", "b", 5432)), verdict(decide("b", "b", 5432))]).toEqual([
      "allow",
      "deny",
      "allow",
    ]);
    expect(verdict(decide("a", "b", 9000))).toBe("allow");
  });

  it("answer alike when they select the same endpoints, each still holding its own policy", () => {
    const ev = evaluatorFor([REPEATED_PEERS]);
    const tenantPeer = (ns: string) => attachedRules(ev.subjectIndex(ev.findPod(ns, "db")!.identity.id).ingress)[1]!.peers![0]!;
    const a = tenantPeer("a");
    const b = tenantPeer("b");
    expect([a.policy.namespace, b.policy.namespace]).toEqual(["a", "b"]);
    for (const id of ev.identities) expect(b.matches(id)).toBe(a.matches(id));
    expect(ev.identities.filter((id) => a.matches(id))).toHaveLength(4);
  });
});
