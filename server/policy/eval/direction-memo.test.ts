import { describe, expect, it } from "vitest";
import { ANP_BASE, evaluatorFor, fixture, readableAnpFixtures, recipeFixtures } from "../__tests__/harness";
import { DirectionMemo } from "./direction-memo";
import { formatDecisionPath } from "./explain";
import type { Evaluator } from "./evaluator";
import type { Protocol } from "../model";

/** Every (src, dst, port) among the identities, decided through the cache (and so the direction memo) and without it. */
function differences(ev: Evaluator): string[] {
  const ids = ev.identities;
  const probes: { port: number; protocol: Protocol }[] = [
    { port: 80, protocol: "TCP" },
    { port: 53, protocol: "UDP" },
    ...ev.rulePorts().map((p) => ({ port: p.port, protocol: p.protocol })),
  ];
  const out: string[] = [];
  // Destinations outermost: each egress class is first decided for one source, then answered from the memo for the others.
  for (const dst of ids)
    for (const src of ids)
      for (const { port, protocol } of probes) {
        const memo = ev.decideIdentities(src, dst, port, protocol);
        const direct = ev.decideUncached(src, dst, port, protocol);
        // Made afresh with the memo, as simulate's byte path decides a new tuple.
        const fresh = ev.decideAtEpoch(src, dst, port, protocol, ev.epochAt());
        const a = `${memo.verdict} ${formatDecisionPath(memo)}`;
        const b = `${direct.verdict} ${formatDecisionPath(direct)}`;
        const c = `${fresh.verdict} ${formatDecisionPath(fresh)}`;
        if (a !== b || c !== b) out.push(`${src.id} -> ${dst.id} ${port}/${protocol}: ${a}, afresh ${c} (uncached: ${b})`);
      }
  return out;
}

const recipes = recipeFixtures();
const base = fixture(ANP_BASE);
const anp = readableAnpFixtures();

describe("directions and admin walks shared by identities with the same rules", () => {
  it.each(recipes)("answer as an uncached decision does: recipes/%s", (file) => {
    expect(differences(evaluatorFor([fixture(`recipes/${file}`)]))).toEqual([]);
  });

  it("cover the ANP fixtures that read", () => expect(anp.length).toBeGreaterThanOrEqual(9));

  it.each(anp)("answer as an uncached decision does: anp/%s over the conformance cluster", (file) => {
    const ev = evaluatorFor([base, fixture(`anp/${file}`)]);
    expect(differences(ev)).toEqual([]);
  });

  it("are shared: identities of namespaces that admin rules select alike fall into one class", () => {
    const ev = evaluatorFor([fixture("anp/conformance-base-manifests.yaml"), fixture("anp/anp-standard-gress-rules-combined.yaml")]);
    const pods = ev.identities.filter((id) => id.kind === "pod").length;
    const memo = new DirectionMemo(ev.identities.map((identity) => ({ identity, ...ev.subjectIndex(identity.id) })));
    expect(memo.classes).toBeGreaterThan(1);
    expect(memo.classes).toBeLessThan(pods);
    // Both directions' admin lists are long enough to be memoised, and pods share them.
    expect(memo.adminClasses).toBeGreaterThanOrEqual(2);
    expect(memo.adminClasses).toBeLessThan(pods);
  });
});

describe("admin walks with named ports", () => {
  // Two destinations alike to the admin rules, whose port named "web" is a different number:
  // an ingress walk reads the destination's ports, so it is not shared between them.
  const cluster = `
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {env: prod}}
---
${["a:8080", "b:9090", "client:80"]
  .map((p) => {
    const [name, port] = p.split(":");
    return `apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: shop, labels: {app: ${name === "client" ? "client" : "web"}}}
spec:
  containers:
  - name: c
    image: nginx
    ports: [{name: web, containerPort: ${port}}]
`;
  })
  .join("---\n")}---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: web-by-name}
spec:
  priority: 10
  subject: {namespaces: {matchLabels: {env: prod}}}
  ingress:
${["Deny:10", "Deny:11", "Deny:12"]
  .map((r, i) => {
    const [action, port] = r.split(":");
    return `  - name: r${i}\n    action: ${action}\n    from: [{namespaces: {}}]\n    ports: [{portNumber: {protocol: TCP, port: ${port}}}]`;
  })
  .join("\n")}
  - name: named
    action: Deny
    from: [{namespaces: {}}]
    ports: [{namedPort: web}]
`;

  it("decide each destination on its own ports", () => {
    const ev = evaluatorFor([cluster]);
    // Each pod is its own identity (the named port's number differs): found by its container port.
    const pod = (port: number) => ev.identities.find((id) => id.kind === "pod" && id.ports.some((p) => p.port === port))!;
    const [client, a, b] = [pod(80), pod(8080), pod(9090)];
    // The same peer and port at both: denied where 8080 is "web", not where it is not.
    expect(ev.decideIdentities(client, a, 8080, "TCP").verdict).toBe("deny");
    expect(ev.decideIdentities(client, b, 8080, "TCP").verdict).toBe("allow");
    expect(ev.decideIdentities(client, b, 9090, "TCP").verdict).toBe("deny");
    expect(differences(ev)).toEqual([]);
  });

  it("are walked every time on ingress, where a list of numbered ports alone is memoised", () => {
    const classes = (text: string) => {
      const ev = evaluatorFor([text]);
      return new DirectionMemo(ev.identities.map((identity) => ({ identity, ...ev.subjectIndex(identity.id) }))).adminClasses;
    };
    expect(classes(cluster)).toBe(0);
    expect(classes(cluster.replace("[{namedPort: web}]", "[{portNumber: {protocol: TCP, port: 13}}]"))).toBe(1);
  });
});
