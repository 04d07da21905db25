// The browser/server line is enforced by lint (eslint.config.mjs): these run
// ESLint's own API on small sources with a component's or lib/'s file name, so
// removing or loosening the rule fails here, not in a review.
import { fileURLToPath } from "node:url";
import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const eslint = new ESLint({ cwd: root });

async function restrictedImports(filePath: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === "@typescript-eslint/no-restricted-imports").map((m) => m.message);
}

describe("the browser/server line", () => {
  it("refuses a component importing the database at run time, and says where shared code goes", async () => {
    const messages = await restrictedImports(
      "components/probe/probe.tsx",
      'import { policies } from "@/db/schema";\nexport const p = policies;\n',
    );
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/lib\/.*tRPC/);
  });

  it("refuses a component importing a service or the engine at run time, by alias or relative path", async () => {
    for (const source of [
      'import { saveDraft } from "@/server/drafts/save-draft";\nexport const s = saveDraft;\n',
      'import { serverCaller } from "@/server/trpc/server";\nexport const s = serverCaller;\n',
      'import { TIERS } from "@/server/policy/documents/schema";\nexport const s = TIERS;\n',
      'import { getRuntime } from "../../server/runtime";\nexport const s = getRuntime;\n',
      'import { createDatabase } from "../../db/client";\nexport const s = createDatabase;\n',
    ]) {
      expect(await restrictedImports("components/probe/probe.tsx", source), source).toHaveLength(1);
    }
  });

  it("lets a component import types from the server (the tRPC AppRouter) and runtime code from lib/", async () => {
    const source = [
      'import type { AppRouter } from "@/server/trpc/root";',
      'import { TIERS } from "@/lib/vocabulary";',
      'import { project } from "@/lib/graph/islands";',
      "export type R = AppRouter;",
      "export const t = [TIERS, project];",
      "",
    ].join("\n");
    expect(await restrictedImports("components/probe/probe.tsx", source)).toEqual([]);
  });

  it("lets lib/ use the engine but refuses it the database and services", async () => {
    expect(
      await restrictedImports("lib/probe.ts", 'import { parseSource } from "@/server/policy/read/yaml";\nexport const p = parseSource;\n'),
    ).toEqual([]);
    expect(await restrictedImports("lib/probe.ts", 'import { policies } from "@/db/schema";\nexport const p = policies;\n')).toHaveLength(
      1,
    );
    expect(
      await restrictedImports("lib/probe.ts", 'import { saveDraft } from "@/server/drafts/save-draft";\nexport const p = saveDraft;\n'),
    ).toHaveLength(1);
  });
});
