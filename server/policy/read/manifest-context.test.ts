// Source and rule references are built key by key (no spreads) for speed: they must be the very
// objects the spreads built, keys in the same order (printed rationales and JSON show that order).
import { describe, expect, it } from "vitest";
import type { SourceRef } from "../model";
import { readManifestSources } from "./manifests";
import { ref, ruleRef, type Ctx } from "./manifest-context";

const ctx: Ctx = {
  obj: { file: "f.yaml", value: {}, base: [], line: 3, column: 1, locate: (p) => ({ line: 10 + p.length, column: 5 }) },
  errors: [],
  warnings: [],
};

/** What ref and ruleRef were before: conditional spreads. */
function spreadRef(kind: string, apiVersion: string, name: string, namespace?: string, version?: string | null): SourceRef {
  return {
    kind,
    apiVersion,
    name,
    ...(namespace ? { namespace } : {}),
    ...(version ? { version } : {}),
    file: ctx.obj.file,
    line: ctx.obj.line,
    column: ctx.obj.column,
  };
}

describe("references built key by key", () => {
  it("equal the spread-built ones, keys in the same order, with and without namespace, version and rule name", () => {
    for (const namespace of [undefined, "", "shop"])
      for (const version of [undefined, null, "", "42"]) {
        const src = ref(ctx, "NetworkPolicy", "networking.k8s.io/v1", "np", namespace, version);
        const expected = spreadRef("NetworkPolicy", "networking.k8s.io/v1", "np", namespace, version);
        expect(JSON.stringify(src)).toBe(JSON.stringify(expected));
        expect(src).toStrictEqual(expected);
        for (const ruleName of [undefined, null, "", "r1"]) {
          const p = ctx.obj.locate(["spec", "egress", 2]);
          const spread = {
            ...expected,
            direction: "egress",
            ruleIndex: 2,
            ...(ruleName ? { ruleName } : {}),
            line: p.line,
            column: p.column,
          };
          const rule = ruleRef(ctx, src, "egress", "egress", 2, ruleName);
          expect(JSON.stringify(rule)).toBe(JSON.stringify(spread));
          expect(rule).toStrictEqual(spread);
        }
      }
  });

  it("keep a pod's keys in their order, with and without a node name", () => {
    const pod = (node: string) =>
      `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: shop\nspec:\n${node}  containers:\n  - name: main\n`;
    const keys = (text: string) => Object.keys(readManifestSources([{ file: "p.yaml", text }]).cluster.pods[0]!);
    const order = ["namespace", "name", "labels", "ports", "ips", "hostNetwork", "nodeName", "workload", "source"];
    expect(keys(pod("  nodeName: n1\n"))).toEqual(order);
    expect(keys(pod(""))).toEqual(order.filter((k) => k !== "nodeName"));
  });
});
