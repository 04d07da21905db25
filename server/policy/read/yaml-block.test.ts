// The block reader takes plain manifests (and agrees with the position-tracking reader on them);
// anything outside its subset is left to js-yaml, whose answers (values, errors) stay what they were.
import { describe, expect, it } from "vitest";
import { cliClusterYaml } from "../../../bench/lib/cli-cluster";
import { YAML_LIMITS } from "./bounded";
import { parseBlockYaml } from "./yaml-block";
import { parseSource, parseSourcePositional } from "./yaml";

const block = (text: string) => parseBlockYaml(text, YAML_LIMITS);

describe("the block YAML reader", () => {
  it("reads the synthetic cluster's manifests, values and positions as the position-tracking reader does", () => {
    const text = cliClusterYaml().yaml.split("\n---\n").slice(0, 120).join("\n---\n");
    const r = block(text);
    expect(r).not.toBeNull();
    const fast = parseSource("c.yaml", text);
    const exact = parseSourcePositional("c.yaml", text);
    expect(fast.objects.map((o) => o.value)).toEqual(exact.objects.map((o) => o.value));
    fast.objects.forEach((o, i) => {
      for (const p of [[], ["metadata"], ["metadata", "labels"], ["spec"], ["spec", "containers", 0, "ports"], ["spec", "ingress", 0]])
        expect(o.locate(p)).toEqual(exact.objects[i]!.locate(p));
    });
  });

  it("reads the forms manifests use", () => {
    const text = [
      "# a comment",
      "---",
      "apiVersion: v1 # trailing",
      "kind: Pod",
      "metadata:",
      "  name: 'it''s'",
      '  namespace: "shop"',
      "  labels: {app: web, tier: 'a b', n: 1}",
      "spec:",
      "  containers:",
      "  - name: main",
      "    ports:",
      "    -   containerPort: 80",
      "        protocol: TCP",
      "    args: [--flag, 'x, y', [1, {a: b}], http://h:1/p]",
      "    empty:",
      "    nothing: ~",
      "  list:",
      "    -",
      "      deep: true",
      "    - 0x1F",
      "---",
      "---",
      "a: 1",
    ].join("\r\n");
    const r = block(text);
    expect(r).not.toBeNull();
    expect(r!.values).toEqual([
      {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "it's", namespace: "shop", labels: { app: "web", tier: "a b", n: 1 } },
        spec: {
          containers: [
            {
              name: "main",
              ports: [{ containerPort: 80, protocol: "TCP" }],
              args: ["--flag", "x, y", [1, { a: "b" }], "http://h:1/p"],
              empty: null,
              nothing: null,
            },
          ],
          list: [{ deep: true }, 31],
        },
      },
      null,
      { a: 1 },
    ]);
    expect(parseSource("p.yaml", text).objects.map((o) => o.value)).toEqual(
      parseSourcePositional("p.yaml", text).objects.map((o) => o.value),
    );
  });

  it("leaves everything else to js-yaml", () => {
    for (const text of [
      "a: |\n  text\n",
      "a: >-\n  folded\n",
      "a: b\n  c\n", // a plain scalar continued on the next line
      "a: 'b\n  c'\n",
      'a: "\\u00e9"\n',
      "a:\tb\n",
      "a: &x 1\nb: *x\n",
      "a: !!str 1\n",
      "a: 1\na: 2\n",
      "--- a: 1\n",
      "a: - x\n",
      "a: b: c\n",
      "a: [1,\n  2]\n",
      "a: [1, ]\n",
      "? a\n: b\n",
      "'a': 1\n",
      "a : 1\n",
      "null: 1\n",
      "__proto__: 1\n",
      "<<: {a: 1}\n",
      "- - a\n",
      "just a scalar\n",
      "a:\n    b: 1\n  c: 2\n",
      "a:\r b\n",
      "\ufeffa: 1\n",
      `${Array.from({ length: YAML_LIMITS.maxDepth }, (_, i) => `${" ".repeat(i)}a:`).join("\n")} 1\n`, // nested to the bound
    ])
      expect(block(text), JSON.stringify(text)).toBeNull();
  });
});
