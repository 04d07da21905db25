// The parts of backup/restore that need no database: which tables the migrations fill (a restore replaces
// those rows and counts nothing else as "not empty"), and the order of a self-referencing table's rows.
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { MIGRATIONS_FOLDER } from "@/db/client";
import { EXCLUDED_TABLES, SEEDED_BY_MIGRATIONS, parentsFirst, type TableInfo } from "./bundle";

describe("backup bundle", () => {
  it("knows every table a migration inserts rows into", () => {
    const inserted = new Set<string>();
    for (const file of readdirSync(MIGRATIONS_FOLDER).filter((f) => f.endsWith(".sql"))) {
      const text = readFileSync(path.join(MIGRATIONS_FOLDER, file), "utf8").replace(/--[^\n]*/g, "");
      for (const m of text.matchAll(/insert\s+into\s+"?(\w+)"?/gi)) inserted.add(m[1]!.toLowerCase());
    }
    expect(inserted.size).toBeGreaterThan(0);
    const bundled = [...inserted].filter((table) => !EXCLUDED_TABLES.includes(table));
    expect(bundled.sort()).toEqual([...SEEDED_BY_MIGRATIONS].sort());
  });

  it("puts each row after the row it refers to, whatever the bundle's order", () => {
    const table: TableInfo = {
      name: "exceptions",
      columns: ["id", "renewed_from"],
      primaryKey: ["id"],
      selfReferences: [{ columns: ["renewed_from"], references: ["id"] }],
      sequenced: [],
    };
    const rows = [
      { id: "c", renewed_from: "b" },
      { id: "a", renewed_from: null },
      { id: "b", renewed_from: "a" },
      { id: "d", renewed_from: "gone" },
    ].map((r) => JSON.stringify(r));
    const ordered = parentsFirst(table, rows).map((j) => (JSON.parse(j) as { id: string }).id);
    expect(ordered).toHaveLength(4);
    expect(ordered.indexOf("a")).toBeLessThan(ordered.indexOf("b"));
    expect(ordered.indexOf("b")).toBeLessThan(ordered.indexOf("c"));
  });
});
