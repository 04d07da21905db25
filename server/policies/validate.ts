// Reading an editor's YAML for saving: the engine's reader (syntax, schema,
// CIDRs, ports, DNS names, each with line and column), then what only the
// database knows (the tenant exists) and the names the console's routes
// reserve. The first problem becomes an
// InvalidInput naming the field and where it is in the YAML.
import { eq } from "drizzle-orm";
import type { Queryable } from "@/db/client";
import { tenants } from "@/db/schema";
import { InvalidInput } from "@/server/errors";
import type { PolicyplaneDocument } from "@/server/policy/documents/schema";
import { locateInYaml, readPolicyYaml, type YamlProblem } from "./yaml";

/**
 * Names that are static routes beside /policies/[name] (app/(console)/policies):
 * a policy by such a name could never be opened.
 */
export const RESERVED_POLICY_NAMES: ReadonlyMap<string, string> = new Map([
  ["new", "/policies/new is the page that creates a policy"],
  ["templates", "/policies/templates is the templates gallery"],
]);

export type PolicyDocumentOf = Extract<PolicyplaneDocument, { kind: "Policy" | "ComplianceConstraint" }>;

export interface CheckedYaml {
  document: PolicyDocumentOf | null;
  raw: unknown;
  errors: YamlProblem[];
  tenantId: string | null;
}

/** Every problem of the YAML, as the editor shows them. */
export async function checkPolicyYaml(db: Queryable, yaml: string): Promise<CheckedYaml> {
  const read = readPolicyYaml(yaml);
  const errors = [...read.errors];
  const tenantName = (read.document?.metadata.tenant ?? null) as string | null;
  let tenantId: string | null = null;
  if (read.document && tenantName) {
    const [row] = await db.select({ id: tenants.id }).from(tenants).where(eq(tenants.name, tenantName));
    if (row) tenantId = row.id;
    else {
      const known = (await db.select({ name: tenants.name }).from(tenants)).map((t) => t.name).sort();
      errors.push({ ...locateInYaml(yaml, ["metadata", "tenant"]), path: "metadata.tenant", message: `unknown tenant "${tenantName}"; known tenants: ${known.join(", ")}`, severity: "error" });
    }
  }
  const name = read.document?.metadata.name;
  const reserved = name === undefined ? undefined : RESERVED_POLICY_NAMES.get(name);
  if (reserved) {
    errors.push({ ...locateInYaml(yaml, ["metadata", "name"]), path: "metadata.name", message: `"${name}" is reserved (${reserved}, so a policy by that name could not be opened); choose another name`, severity: "error" });
  }
  const document = errors.length === 0 ? (read.document as PolicyDocumentOf | null) : null;
  return { document, raw: read.raw, errors, tenantId };
}

/** The document, or an InvalidInput for the first problem (field path and line/column). */
export async function requireValidPolicyYaml(db: Queryable, yaml: string): Promise<{ document: PolicyDocumentOf; tenantId: string | null }> {
  const checked = await checkPolicyYaml(db, yaml);
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
  return { document: checked.document, tenantId: checked.tenantId };
}
