// The agent streams its push (listPieces): the pieces make the very JSON one JSON.stringify of the
// list would, and no piece is much bigger than PUSH_PIECE however many objects there are.
import { describe, expect, it } from "vitest";
import { listPieces } from "./agent";
import type { KubeObject } from "./agent-watch";

const pod = (i: number): KubeObject => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: `web-${i}`, namespace: "shop", labels: { app: "web", "é-label": `ünïcode-${i}` } },
  status: { podIP: `10.0.${i >> 8}.${i & 255}`, phase: "Running" },
});

describe("the agent's streamed push", () => {
  it("is the List's JSON, in bounded pieces", () => {
    const objects = Array.from({ length: 5000 }, (_, i) => pod(i));
    const pieces = [...listPieces(objects)];
    expect(pieces.join("")).toBe(JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }));
    expect(pieces.length).toBeGreaterThan(5);
    for (const p of pieces) expect(p.length).toBeLessThan(64 * 1024 + 1024);
  });

  it("an empty cluster is an empty List", () => {
    expect([...listPieces([])].join("")).toBe('{"apiVersion":"v1","kind":"List","items":[]}');
  });
});
