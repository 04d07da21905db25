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
