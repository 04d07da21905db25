/**
 * Templates: instantiate a parameterised Policy. Values are checked against
 * the declared parameters (unknown names, missing values and wrong types are
 * errors), placeholders are substituted, and the result is validated as a
 * Policy document; its errors point into the template's `spec.policy`.
 *
 * Besides `{{param}}` placeholders, a list item `{forEach: <string-list param>, as: <var>, item: <value>}`
 * expands to one item per value, with `{{var}}` bound to the value.
 */
import type { PolicyInputError } from "../errors";
import type { PathSeg } from "../read/yaml";
import { PLACEHOLDER, policyDocument, type ParameterType, type PolicyDocument, type TemplateDocument } from "./schema";
import { docProblem, type LocatedDocument } from "./read";
import { explainIssues } from "../read/issues";

export type ParameterValue = string | number | boolean | string[];

export interface InstantiateResult {
  document: LocatedDocument<PolicyDocument> | null;
  errors: PolicyInputError[];
}

function typeOf(v: unknown): ParameterType | null {
  if (typeof v === "string") return "string";
  if (typeof v === "number" && Number.isInteger(v)) return "integer";
  if (typeof v === "boolean") return "boolean";
  if (Array.isArray(v) && v.every((x) => typeof x === "string")) return "string-list";
  return null;
}

/** Parse a CLI-style `key=value` into the parameter's type. */
export function parseParameterValue(type: ParameterType, text: string): ParameterValue | null {
  switch (type) {
    case "string":
      return text;
    case "integer":
      return /^-?\d+$/.test(text) ? Number(text) : null;
    case "boolean":
      return text === "true" ? true : text === "false" ? false : null;
    case "string-list":
      return text === "" ? [] : text.split(",").map((s) => s.trim());
  }
}

function substitute(v: unknown, values: Record<string, ParameterValue>): unknown {
  if (typeof v === "string") {
    const whole = /^\{\{\s*([a-zA-Z][a-zA-Z0-9_]*)\s*\}\}$/.exec(v);
    if (whole) return values[whole[1]!];
    return v.replace(PLACEHOLDER, (_, name: string) => String(values[name]));
  }
  if (Array.isArray(v)) {
    return v.flatMap((item) => {
      const each = item as { forEach?: unknown; as?: unknown; item?: unknown };
      if (item && typeof item === "object" && typeof each.forEach === "string" && typeof each.as === "string" && "item" in each) {
        const list = values[each.forEach];
        return (Array.isArray(list) ? list : []).map((x) => substitute(each.item, { ...values, [each.as as string]: x }));
      }
      return [substitute(item, values)];
    });
  }
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substitute(x, values)]));
  return v;
}

/** Instantiate a template with parameter values into a validated Policy document. */
export function instantiateTemplate(template: LocatedDocument<TemplateDocument>, values: Record<string, unknown>): InstantiateResult {
  const t = template.document;
  const errors: PolicyInputError[] = [];
  const params = new Map(t.spec.parameters.map((p, i) => [p.name, { ...p, index: i }]));
  const resolved: Record<string, ParameterValue> = {};
  const where = `template ${t.metadata.name}`;
  for (const [name, v] of Object.entries(values)) {
    const p = params.get(name);
    if (!p) {
      errors.push(
        docProblem(
          template,
          ["spec", "parameters"],
          `unknown parameter "${name}" for ${where}; expected one of ${[...params.keys()].join(", ")}`,
        ),
      );
      continue;
    }
    if (typeOf(v) !== p.type) {
      errors.push(
        docProblem(
          template,
          ["spec", "parameters", p.index, "type"],
          `parameter ${name} of ${where} expects a ${p.type}, got ${JSON.stringify(v)}`,
        ),
      );
      continue;
    }
    resolved[name] = v as ParameterValue;
  }
  for (const p of params.values()) {
    if (p.name in values) continue;
    if (p.default !== undefined) resolved[p.name] = p.default;
    else
      errors.push(docProblem(template, ["spec", "parameters", p.index], `parameter ${p.name} of ${where} is required (${p.description})`));
  }
  if (errors.length > 0) return { document: null, errors };
  const body = substitute(t.spec.policy, resolved) as { metadata: Record<string, unknown>; spec: Record<string, unknown> };
  const candidate = { apiVersion: t.apiVersion, kind: "Policy", metadata: body.metadata, spec: body.spec };
  const r = policyDocument.safeParse(candidate, { reportInput: true });
  if (!r.success) {
    // The instantiated policy's paths (metadata.x, spec.y) live under spec.policy in the template.
    const toTemplate = (path: PathSeg[]): PathSeg[] => ["spec", "policy", ...path];
    for (const e of explainIssues(r.error.issues))
      errors.push(
        docProblem(template, toTemplate(e.path), `${e.message} (in the policy produced by ${where} with ${JSON.stringify(resolved)})`),
      );
    return { document: null, errors };
  }
  return {
    document: {
      document: r.data,
      ...(template.file ? { file: template.file } : {}),
      ...(template.line ? { line: template.line, column: template.column ?? 0 } : {}),
      ...(template.locate ? { locate: (path) => template.locate!(["spec", "policy", ...path]) } : {}),
    },
    errors,
  };
}
