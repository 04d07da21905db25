import { describe, expect, it } from "vitest";
import { PLATFORM_DEFAULT_ALL } from "@/server/policy/model";
import type { PolicyplaneDocument } from "@/server/policy/documents/schema";
import { compiledDiff } from "./compiled-diff";

const V = "policyplane.io/v1" as const;
const cluster = {
  name: "eu",
  model: {
    namespaces: [{ name: "shop", labels: { tenant: "shop" } }],
    workloads: [],
    pods: [],
    services: [],
    nodes: [],
    externals: [],
  },
};
const policy = (name: string, port: number): PolicyplaneDocument => ({
  apiVersion: V,
  kind: "Policy",
  metadata: { name, tenant: "shop" },
  spec: {
    tier: "namespace",
    subject: { namespaces: ["shop"], podSelector: { matchLabels: { app: "api" } } },
    rules: [
      {
        name: "in",
        direction: "ingress",
        action: "allow",
        peers: [{ workloads: { namespaces: ["shop"], podSelector: { matchLabels: { app: "web" } } } }],
        ports: [{ port, protocol: "TCP" }],
      },
    ],
  },
});
const located = (docs: PolicyplaneDocument[], version = 1) =>
  docs.map((document) => ({ document, version: String(version), file: `${document.kind}/${document.metadata.name}` }));
const diff = (release: ReturnType<typeof located>, proposal: ReturnType<typeof located>) =>
  compiledDiff({ release, proposal, cluster, target: "anp", platformDefault: PLATFORM_DEFAULT_ALL, now: new Date("2030-01-01T00:00:00Z") });

describe("the compiled objects' diff of a change", () => {
  it("lists nothing when the change renders the same objects", () => {
    const same = located([policy("api", 8080)]);
    expect(diff(same, same).changes).toEqual([]);
  });

  it("lists a new policy's object as added, an edited one as changed with both renderings, a dropped one as removed", () => {
    const release = located([policy("api", 8080), policy("old", 9090)]);
    const proposal = [...located([policy("api", 8443)], 2), ...located([policy("new", 7070)])];
    const changes = diff(release, proposal).changes.filter((c) => c.kind === "NetworkPolicy");
    expect(changes.map((c) => [c.name, c.change])).toEqual([
      ["api", "changed"],
      ["new", "added"],
      ["old", "removed"],
    ]);
    const [api, added, removed] = changes;
    expect(api!.before).toContain("port: 8080");
    expect(api!.after).toContain("port: 8443");
    expect(added!.before).toBe("");
    expect(removed!.after).toBe("");
    expect(api!.path).toBe("eu/shop/networkpolicy-api.yaml");
  });
});
