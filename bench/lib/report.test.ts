// How a benchmark writes its section of docs/benchmarks.md: its own part replaced, the rest kept.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writeSection, type Row } from "./report";

const row = (value: string): Row[] => [["figure", value, "target", true]];

describe("a benchmark's section of docs/benchmarks.md", () => {
  it("is rewritten with its figures, keeping its hand-written sub-sections and every other section", () => {
    const dir = mkdtempSync(join(tmpdir(), "pp-report-"));
    const file = join(dir, "benchmarks.md");
    writeFileSync(file, "# Benchmarks\n\n## Other\n\nuntouched\n");
    writeSection(file, "CLI", "intro", "machine A", row("1 s"), ["note"]);
    const handWritten =
      "### What was tried\n\nA by-hand paragraph with $& and $1 in it.\n\n### CLI\n\nA sub-section named like the section.\n";
    writeFileSync(file, `${readFileSync(file, "utf8").trimEnd()}\n\n${handWritten}\n## Next\n\nalso untouched\n`);
    writeSection(file, "CLI", "intro", "machine B", row("2 s"), ["note"]);
    const text = readFileSync(file, "utf8");
    expect(text).toContain("## Other\n\nuntouched\n");
    expect(text).toContain("## Next\n\nalso untouched\n");
    expect(text).toContain("Machine: machine B.");
    expect(text).not.toContain("machine A");
    expect(text).toContain("| figure | 2 s | target | met |");
    expect(text).toContain(`note\n\n${handWritten}\n## Next`);
    expect(text.match(/^## CLI\n/gm)).toHaveLength(1);
    rmSync(dir, { recursive: true, force: true });
  });
});
