import "server-only";
// Reading an editor's YAML for saving: the checks of ./check.ts run in the
// engine's worker threads against the tenants that exist; the first problem
// becomes an InvalidInput naming the field and where it is in the YAML.
import { tenants } from "@/db/schema";
import type { Queryable } from "@/db/client";
import { runEngine } from "@/server/engine-pool/pool";
import { InvalidInput } from "@/server/errors";
import type { PolicyCheck, PolicyDocumentOf } from "./check";

/** Tenant ids by name. */
export async function tenantIdsByName(db: Queryable): Promise<Map<string, string>> {
  return new Map((await db.select({ id: tenants.id, name: tenants.name }).from(tenants)).map((t) => [t.name, t.id]));
}

export interface ValidPolicyYaml {
  document: PolicyDocumentOf;
  tenantId: string | null;
  /** Where fields are in the YAML, for problems found later (a name taken, a kind changed). */
  positions: PolicyCheck["positions"];
}

/** The document, or an InvalidInput for the first problem (field path and line/column). */
export async function requireValidPolicyYaml(db: Queryable, yaml: string): Promise<ValidPolicyYaml> {
  const ids = await tenantIdsByName(db);
  const checked = await runEngine("check", { yaml, tenants: [...ids.keys()] });
  const first = checked.errors[0];
  if (first || !checked.document) {
    const more = checked.errors.length > 1 ? ` (and ${checked.errors.length - 1} more problem${checked.errors.length > 2 ? "s" : ""})` : "";
    // The line and column travel as the error's position (the editor marks them); not in the text too.
    throw new InvalidInput(
      `${first?.path ? `${first.path}: ` : ""}${first?.message ?? "the YAML holds no policy"}${more}`,
      first?.path || "yaml",
      first && first.line > 0 ? { line: first.line, column: first.column } : undefined,
    );
  }
  const tenant = checked.document.metadata.tenant as string | undefined;
  return { document: checked.document, tenantId: tenant === undefined ? null : (ids.get(tenant) ?? null), positions: checked.positions };
}
