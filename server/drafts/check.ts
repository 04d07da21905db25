// Pure (no database; runs in the engine worker, server/engine-pool): the
// editor's YAML read by the engine's reader (syntax, schema, CIDRs, ports, DNS
// names, each with line and column), then the tenant against the names the
// caller loaded and the names the console's routes reserve.
import type { LocatedDocument } from "@/server/policy/documents/read";
import type { PolicyplaneDocument } from "@/server/policy/documents/schema";
import { readPolicyYaml, type YamlProblem } from "@/lib/policy-yaml";

/**
 * Names that are static routes beside /policies/[name] (app/(console)/policies):
 * a policy by such a name could never be opened.
 */
export const RESERVED_POLICY_NAMES: ReadonlyMap<string, string> = new Map([
  ["new", "/policies/new is the page that creates a policy"],
  ["templates", "/policies/templates is the templates gallery"],
]);

export type PolicyDocumentOf = Extract<PolicyplaneDocument, { kind: "Policy" | "ComplianceConstraint" }>;

export interface Position {
  line: number;
  column: number;
}

/** Fields that checks against the database may refuse later (a name taken, a kind changed): where they are in the YAML. */
export const LOCATED_FIELDS = ["metadata.name", "kind"] as const;
export type LocatedField = (typeof LOCATED_FIELDS)[number];

export interface PolicyCheck {
  /** The validated document, when there are no errors. */
  document: PolicyDocumentOf | null;
  /** False when the text is not YAML the reader could parse (then errors[0] says where). */
  parsed: boolean;
  errors: YamlProblem[];
  positions: Partial<Record<LocatedField, Position>>;
}

/** Every problem of the YAML, as the editor shows them; `tenants` are the tenant names that exist. */
export function checkPolicyText(yaml: string, tenants: readonly string[]): PolicyCheck & { located: LocatedDocument | null } {
  const read = readPolicyYaml(yaml);
  const errors = [...read.errors];
  const at = (field: LocatedField): Position => read.located?.locate?.(field.split(".")) ?? { line: 1, column: 1 };
  const tenant = (read.document?.metadata.tenant ?? null) as string | null;
  if (read.document && tenant !== null && !tenants.includes(tenant)) {
    const known = [...tenants].sort();
    errors.push({
      ...read.located!.locate!(["metadata", "tenant"]),
      path: "metadata.tenant",
      message: `unknown tenant "${tenant}"; known tenants: ${known.join(", ")}`,
      severity: "error",
    });
  }
  const name = read.document?.metadata.name;
  const reserved = name === undefined ? undefined : RESERVED_POLICY_NAMES.get(name);
  if (reserved) {
    errors.push({
      ...at("metadata.name"),
      path: "metadata.name",
      message: `"${name}" is reserved (${reserved}, so a policy by that name could not be opened); choose another name`,
      severity: "error",
    });
  }
  const ok = errors.length === 0;
  return {
    document: ok ? (read.document as PolicyDocumentOf | null) : null,
    parsed: read.parsed,
    located: ok ? read.located : null,
    errors,
    positions: read.located ? Object.fromEntries(LOCATED_FIELDS.map((f) => [f, at(f)])) : {},
  };
}
