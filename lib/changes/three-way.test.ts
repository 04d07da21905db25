import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { documentToYaml } from "@/lib/policy-yaml";
import { paymentsEgressYaml } from "@/server/testing/policies";
import { conflictMarkerLines, mergeBase, resolveConflict, threeWayMerge, withConflictMarkers } from "./three-way";

const yaml = (options: Parameters<typeof paymentsEgressYaml>[1]) => documentToYaml(parse(paymentsEgressYaml("p", options)));
const labels = { draft: "your change (v3)", base: "common base (v1)", release: "released since (v2)" };

describe("three-way merge of policy YAML", () => {
  it("takes each side's change when they touch different lines", () => {
    const merged = threeWayMerge({ base: yaml({}), draft: yaml({ port: 8443 }), release: yaml({ description: "new words" }) });
    expect(merged.conflicts).toBe(0);
    expect(merged.merged).toBe(yaml({ port: 8443, description: "new words" }));
  });

  it("is the draft when the draft already holds the release's change, and the release when only it changed", () => {
    const release = yaml({ description: "new words" });
    const draft = yaml({ description: "new words", port: 8443 });
    expect(threeWayMerge({ base: yaml({}), draft, release }).merged).toBe(draft);
    expect(threeWayMerge({ base: yaml({}), draft: yaml({}), release }).merged).toBe(release);
  });

  it("narrows a conflict to the lines the sides disagree on and marks it for the author", () => {
    const merged = threeWayMerge({ base: yaml({}), draft: yaml({ description: "mine" }), release: yaml({ description: "theirs" }) });
    expect(merged.conflicts).toBe(1);
    expect(merged.merged).toBeNull();
    expect(merged.hunks.filter((h) => h.kind === "conflict")).toEqual([
      { kind: "conflict", draft: ["  description: mine"], base: ["  description: Test policy"], release: ["  description: theirs"] },
    ]);
    const text = withConflictMarkers(merged.hunks, labels);
    expect(text).toContain(
      "<<<<<<< your change (v3)\n  description: mine\n||||||| common base (v1)\n  description: Test policy\n=======\n  description: theirs\n>>>>>>> released since (v2)\n",
    );
    expect(conflictMarkerLines(text)).toHaveLength(4);
    const resolved = withConflictMarkers(resolveConflict(merged.hunks, 0, "release"), labels);
    expect(conflictMarkerLines(resolved)).toEqual([]);
    expect(resolved).toBe(yaml({ description: "theirs" }));
  });

  it("sees two new policies with different content as a conflict only where they differ", () => {
    const merged = threeWayMerge({ base: "", draft: yaml({ port: 1 }), release: yaml({ port: 2 }) });
    expect(merged.hunks.filter((h) => h.kind === "conflict")).toEqual([
      { kind: "conflict", draft: ["        - port: 1"], base: [], release: ["        - port: 2"] },
    ]);
  });
});

describe("merge base of a rebase", () => {
  // v1 released; v2 drafted on it (released since); v3 restored from v1, v4 on v3 (the change's draft).
  const lineage = new Map<number, number | null>([
    [1, null],
    [2, 1],
    [3, 1],
    [4, 3],
    [5, 2],
  ]);
  it("is the newest version both were written from", () => {
    expect(mergeBase(lineage, { fromVersion: 1, releasedVersion: 2, toVersion: 4 })).toBe(1);
    expect(mergeBase(lineage, { fromVersion: 1, releasedVersion: 2, toVersion: 5 })).toBe(2);
  });
  it("falls back to the version the change was proposed from when the lineage is unknown", () => {
    expect(mergeBase(new Map([[7, null]]), { fromVersion: 6, releasedVersion: 7, toVersion: 8 })).toBe(6);
    expect(mergeBase(lineage, { fromVersion: 1, releasedVersion: null, toVersion: 4 })).toBe(1);
  });
});
