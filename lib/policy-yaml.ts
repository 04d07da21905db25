// Pure (no database, no I/O): the one YAML form of a Policyplane document that
// the editor, the history diff and the change diff all show, and the reading
// of an editor's YAML with the engine's reader (errors with line and column).
// Imported by the browser too, so it must stay free of server-only modules.
import { stringify } from "yaml";
import { parseSource, type PathSeg } from "@/server/policy/read/yaml";
import { readDocumentSources, type LocatedDocument } from "@/server/policy/documents/read";
import type { PolicyplaneDocument } from "@/server/policy/documents/schema";

/** The engine's spelling of a field path (spec.rules[0].peers), for the editor's messages. */
export { formatPath } from "@/server/policy/read/yaml";

/**
 * Field order of the document language, so that YAML reads top-down the way the
 * schema is written (jsonb does not keep key order). One list fits every kind:
 * metadata name < tenant < owner; spec tier < scope < priority < subject < isolate < rules;
 * rule name < direction < action < peers < ports < via; constraint subject < direction < … < rationale.
 */
const FIELD_ORDER = [
  "apiVersion",
  "kind",
  "metadata",
  "spec",
  "name",
  "tenant",
  "owner",
  "description",
  "labels",
  "tier",
  "scope",
  "regions",
  "clusters",
  "priority",
  "subject",
  "namespaces",
  "namespaceSelector",
  "podSelector",
  "matchLabels",
  "matchExpressions",
  "key",
  "operator",
  "values",
  "isolate",
  "rules",
  "direction",
  "action",
  "peers",
  "workloads",
  "service",
  "cidr",
  "except",
  "dns",
  "entity",
  "ports",
  "port",
  "endPort",
  "protocol",
  "via",
  "exceptVia",
  "rationale",
  "justification",
  "expiresAt",
];
const RANK = new Map(FIELD_ORDER.map((k, i) => [k, i]));
/** Maps whose keys are data (label keys), sorted alphabetically rather than by field order. */
const DATA_MAPS = new Set(["matchLabels", "labels"]);

/** How the keys of a map under `parentKey` are ordered in the YAML we write. */
export function compareKeys(parentKey: string | undefined): (a: string, b: string) => number {
  if (parentKey && DATA_MAPS.has(parentKey)) return (a, b) => (a < b ? -1 : a > b ? 1 : 0);
  return (a, b) => (RANK.get(a) ?? FIELD_ORDER.length) - (RANK.get(b) ?? FIELD_ORDER.length);
}

/** A copy of a document (or part of one under `parentKey`) with its keys in the order we write them. */
export function ordered(value: unknown, parentKey?: string): unknown {
  if (Array.isArray(value)) return value.map((v) => ordered(v));
  if (!value || typeof value !== "object") return value;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  const compare = compareKeys(parentKey);
  entries.sort(([a], [b]) => compare(a, b));
  return Object.fromEntries(entries.map(([k, v]) => [k, ordered(v, k)]));
}

/** The YAML text of a document (or of a document being edited, valid or not). */
export function documentToYaml(document: unknown): string {
  return stringify(ordered(document), YAML_OUTPUT);
}

/** Output options of every YAML text we write (no folding of long lines). */
export const YAML_OUTPUT = { lineWidth: 0, flowCollectionPadding: false } as const;

export interface YamlProblem {
  /** 1-based; 0 when the reader could not place it. */
  line: number;
  column: number;
  /** Field path such as spec.rules[0].peers[1].cidr (empty for the whole text). */
  path: string;
  message: string;
  severity: "error" | "warning";
}

export interface ReadPolicyResult {
  /** The YAML as data, whatever the schema says of it (null when the YAML itself does not parse). */
  raw: unknown;
  /** False when the text is not YAML the reader could parse (a syntax error, or beyond the reader's bounds). */
  parsed: boolean;
  /** The validated document, when there are no errors. */
  document: PolicyplaneDocument | null;
  /** The same with positions (for findings located in the YAML). */
  located: LocatedDocument | null;
  errors: YamlProblem[];
}

/** Reads the editor's YAML: exactly one Policy or ComplianceConstraint. */
export function readPolicyYaml(text: string, file = "policy.yaml"): ReadPolicyResult {
  const parsed = parseSource(file, text);
  const raw = parsed.errors.length === 0 && parsed.objects.length === 1 ? parsed.objects[0]!.value : null;
  const read = readDocumentSources([{ file, text }]);
  const errors: YamlProblem[] = read.errors.map((e) => ({
    line: e.line,
    column: e.column,
    path: e.path,
    message: e.detail,
    severity: e.severity,
  }));
  if (errors.length === 0 && parsed.objects.length !== 1) {
    errors.push({
      line: 1,
      column: 1,
      path: "",
      message:
        parsed.objects.length === 0
          ? "the YAML holds no document: write one Policy or ComplianceConstraint"
          : `the YAML holds ${parsed.objects.length} documents; one policy is edited at a time`,
      severity: "error",
    });
  }
  if (read.templates.length > 0 && errors.length === 0) {
    errors.push({
      line: 1,
      column: 1,
      path: "kind",
      message: "a Template is used from the templates gallery, not saved as a policy",
      severity: "error",
    });
  }
  const only = read.documents[0]?.document;
  if (only && only.kind === "Exception" && errors.length === 0) {
    const p = read.documents[0]!.locate?.(["kind"]) ?? { line: 1, column: 1 };
    errors.push({
      line: p.line,
      column: p.column,
      path: "kind",
      message: "exceptions are requested on the Exceptions page, not edited as policies",
      severity: "error",
    });
  }
  const ok = errors.length === 0 && only !== undefined;
  return { raw, parsed: parsed.errors.length === 0, document: ok ? only : null, located: ok ? read.documents[0]! : null, errors };
}

/** Position of a field in the YAML text (nearest existing node), for problems found after reading. */
export function locateInYaml(text: string, path: readonly PathSeg[], file = "policy.yaml"): { line: number; column: number } {
  const parsed = parseSource(file, text);
  const obj = parsed.objects[0];
  return obj ? obj.locate(path) : { line: 1, column: 1 };
}
