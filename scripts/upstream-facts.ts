// Extracts the validation facts of one upstream CRD (enums, patterns, bounds,
// required fields, x-kubernetes-validations, min/maxProperties, scalar types)
// into the facts form kept in server/policy/__fixtures__/upstream/. Facts, not
// copies: descriptions and everything else of the file are left out.
//
//   git -C <mirror> show <commit>:<path> | npx tsx scripts/upstream-facts.ts \
//     --repository <owner/name> --path <path> --commit <sha> --version v1alpha2 [--under spec.egress]
//
// --under (repeatable) keeps only facts whose path starts with one of the prefixes
// (the Cilium CRDs hold L7 and host-firewall fields the engine does not read).
import { readFileSync } from "node:fs";
import { parse, stringify } from "yaml";

interface Schema {
  type?: string;
  enum?: unknown[];
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  minProperties?: number;
  maxProperties?: number;
  format?: string;
  required?: string[];
  oneOf?: unknown[];
  anyOf?: unknown[];
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
  "x-kubernetes-validations"?: { rule: string; message?: string; messageExpression?: string; reason?: string; fieldPath?: string }[];
  "x-kubernetes-int-or-string"?: boolean;
  "x-kubernetes-preserve-unknown-fields"?: boolean;
  default?: unknown;
}

export type Fact = { path: string } & Record<string, unknown>;

const BOUNDS = ["minimum", "maximum", "minItems", "maxItems", "minLength", "maxLength", "minProperties", "maxProperties"] as const;

export function factsOf(schema: Schema, path: string, out: Fact[] = []): Fact[] {
  const push = (f: Record<string, unknown>) => out.push({ path, ...f });
  if (schema.enum) push({ enum: schema.enum });
  if (schema.default !== undefined) push({ default: schema.default });
  if (schema.pattern !== undefined) push({ pattern: schema.pattern });
  for (const b of BOUNDS) if (schema[b] !== undefined) push({ [b]: schema[b] });
  if (schema.format && schema.format !== "int32" && schema.format !== "int64") push({ format: schema.format });
  for (const r of schema.required ?? []) push({ required: r });
  if (schema.oneOf) push({ oneOf: schema.oneOf });
  if (schema.anyOf) push({ anyOf: schema.anyOf });
  for (const v of schema["x-kubernetes-validations"] ?? [])
    push({ cel: v.rule, ...(v.message ? { message: v.message } : {}), ...(v.fieldPath ? { fieldPath: v.fieldPath } : {}) });
  if (schema["x-kubernetes-int-or-string"]) push({ type: "int-or-string" });
  else if (schema.type && schema.type !== "object" && schema.type !== "array") push({ type: schema.type });
  if (schema["x-kubernetes-preserve-unknown-fields"]) push({ preserveUnknownFields: true });
  for (const [k, s] of Object.entries(schema.properties ?? {})) {
    // status is written by controllers (the status subresource), never by what `validate` reads.
    if (path === "" && k === "status") continue;
    factsOf(s, path ? `${path}.${k}` : k, out);
  }
  if (schema.items) factsOf(schema.items, `${path}[*]`, out);
  if (schema.additionalProperties && typeof schema.additionalProperties === "object")
    factsOf(schema.additionalProperties, `${path}.*`, out);
  return out;
}

function main(): void {
  const args = process.argv.slice(2);
  const opt = (name: string): string[] => args.flatMap((a, i) => (a === `--${name}` && args[i + 1] ? [args[i + 1]!] : []));
  const [repository, path, commit, version] = ["repository", "path", "commit", "version"].map((n) => opt(n)[0]);
  if (!repository || !path || !commit || !version) throw new Error("usage: --repository --path --commit --version [--under prefix]");
  const crd = parse(readFileSync(0, "utf8")) as {
    spec: { names: { kind: string }; group: string; versions: { name: string; schema: { openAPIV3Schema: Schema } }[] };
  };
  const v = crd.spec.versions.find((x) => x.name === version);
  if (!v) throw new Error(`no version ${version} in ${path}`);
  const under = opt("under");
  const all = factsOf(v.schema.openAPIV3Schema, "");
  const facts = all.filter(
    (f) => under.length === 0 || under.some((u) => f.path === u || f.path.startsWith(`${u}.`) || f.path.startsWith(`${u}[`)),
  );
  process.stdout.write(
    stringify(
      {
        kind: crd.spec.names.kind,
        apiVersion: `${crd.spec.group}/${version}`,
        provenance: { repository, path, commit },
        ...(under.length ? { under } : {}),
        facts,
      },
      { lineWidth: 0 },
    ),
  );
}

if (import.meta.url === `file://${process.argv[1]}`) main();
