import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

// `next build` rewrites tsconfig.json when its include list lacks the type
// folders of the build folder it writes to (and reflows the whole file). Every
// build folder a README or bench/ command uses must therefore already be listed,
// in the form Next.js writes, or running that command leaves `git status` dirty.
const root = path.resolve(import.meta.dirname, "..");

function buildFoldersNamedIn(folder: string): string[] {
  const names = new Set<string>();
  for (const file of readdirSync(path.join(root, folder), { recursive: true, encoding: "utf8" })) {
    if (!/\.(ts|mjs)$/.test(file) || /\.test\.ts$/.test(file)) continue;
    const text = readFileSync(path.join(root, folder, file), "utf8");
    for (const match of text.matchAll(/NEXT_DIST_DIR:\s*"([^"]+)"/g)) names.add(match[1]!);
  }
  return [...names];
}

describe("tsconfig.json is already in the form next build writes", () => {
  const text = readFileSync(path.join(root, "tsconfig.json"), "utf8");
  const config = JSON.parse(text) as { include: string[] };

  it("lists the type folders of every build folder used by bench/ and scripts/", () => {
    const folders = [".next", ...buildFoldersNamedIn("bench"), ...buildFoldersNamedIn("scripts")];
    expect(folders).toContain(".next-bench");
    for (const folder of folders) {
      expect(config.include).toContain(`${folder}/types/**/*.ts`);
      expect(config.include).toContain(`${folder}/dev/types/**/*.ts`);
    }
  });

  it("is laid out as Next.js serialises it (two-space JSON, one array item per line)", () => {
    expect(text).toBe(`${JSON.stringify(config, null, 2)}\n`);
  });
});
