import { readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { RESERVED_POLICY_NAMES } from "./check";

describe("reserved policy names", () => {
  it("cover every static route beside /policies/[name], so each policy can be opened", () => {
    const routes = path.join(import.meta.dirname, "../../app/(console)/policies");
    const statics = readdirSync(routes, { withFileTypes: true })
      .filter((e) => e.isDirectory() && !e.name.startsWith("[") && !e.name.startsWith("("))
      .map((e) => e.name);
    expect(statics.length).toBeGreaterThan(0);
    expect([...RESERVED_POLICY_NAMES.keys()].sort()).toEqual(statics.sort());
  });
});
