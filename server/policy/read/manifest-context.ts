/**
 * What every manifest builder shares: the object being read (Ctx), located errors and warnings,
 * validation against the object's zod schema, source references and label selectors.
 */
import type { z } from "zod";
import { MATCH_ALL, type Direction, type LabelSelector, type LabelSelectorRequirement, type RuleRef, type SourceRef } from "../model";
import { PolicyInputError } from "../errors";
import { formatPath, type PathSeg, type RawObject } from "./yaml";
import { explainIssues } from "./issues";
import * as S from "./schemas";
import type { Advisory } from "./advisories";

export type RawSelector = z.infer<typeof S.crdLabelSelector>;

/** A requirement no selector can be built from (a CRD accepts it: see ./advisories.ts) matches nothing: `In` with no values. */
export function toRequirement(r: { key: string; operator: string; values?: readonly string[] | null }): LabelSelectorRequirement {
  if (S.requirementProblem(r)) return { key: r.key, operator: "In", values: [] };
  return { key: r.key, operator: r.operator as LabelSelectorRequirement["operator"], values: [...(r.values ?? [])] };
}

export function toSelector(raw: RawSelector | null | undefined): LabelSelector {
  if (!raw) return MATCH_ALL;
  return {
    matchLabels: { ...(raw.matchLabels ?? {}) },
    matchExpressions: (raw.matchExpressions ?? []).map(toRequirement),
  };
}

/** The object being read and where its problems go. */
export interface Ctx {
  obj: RawObject;
  errors: PolicyInputError[];
  warnings: PolicyInputError[];
  /** Validate with the zod schema even where a fast check exists (the reference it is measured against). */
  zodOnly?: boolean;
}

export function at(ctx: Ctx, path: readonly PathSeg[], message: string, severity: "error" | "warning" = "error"): PolicyInputError {
  const p = ctx.obj.locate(path);
  const full = [...ctx.obj.base, ...path];
  return new PolicyInputError({ file: ctx.obj.file, line: p.line, column: p.column, path: formatPath(full), message, severity });
}

/**
 * The object as `schema` parses it, or null with its problems reported. `fast` (./fast-inventory.ts)
 * answers for the plain common shape without zod and returns undefined on any doubt.
 */
export function validate<T extends z.ZodType>(ctx: Ctx, schema: T, fast?: (value: unknown) => z.infer<T> | undefined): z.infer<T> | null {
  if (fast && !ctx.zodOnly) {
    const quick = fast(ctx.obj.value);
    if (quick !== undefined) return quick;
  }
  const r = schema.safeParse(ctx.obj.value, { reportInput: true });
  if (r.success) return r.data;
  for (const e of explainIssues(r.error.issues)) ctx.errors.push(at(ctx, e.path, e.message));
  return null;
}

export function advise(ctx: Ctx, advisories: readonly Advisory[]): void {
  for (const a of advisories) ctx.warnings.push(at(ctx, a.path, a.message, "warning"));
}

export function ref(ctx: Ctx, kind: string, apiVersion: string, name: string, namespace?: string, version?: string | null): SourceRef {
  // Built key by key rather than with conditional spreads: this runs for every object read, and
  // the spreads cost more than the rest of it. The keys keep the order the spreads gave them.
  const r: SourceRef = { kind, apiVersion, name };
  if (namespace) r.namespace = namespace;
  if (version) r.version = version;
  r.file = ctx.obj.file;
  r.line = ctx.obj.line;
  r.column = ctx.obj.column;
  return r;
}

export function ruleRef(ctx: Ctx, src: SourceRef, direction: Direction, key: string, index: number, ruleName?: string | null): RuleRef {
  const p = ctx.obj.locate(["spec", key, index]);
  // { ...src, direction, ruleIndex, ruleName?, line, column } key by key (src is ref()'s: its keys
  // in that order), which costs a fraction of the spread of src's several shapes.
  const r = { kind: src.kind, apiVersion: src.apiVersion, name: src.name } as RuleRef;
  if ("namespace" in src) r.namespace = src.namespace;
  if ("version" in src) r.version = src.version;
  r.file = src.file;
  r.line = p.line;
  r.column = p.column;
  r.direction = direction;
  r.ruleIndex = index;
  if (ruleName) r.ruleName = ruleName;
  return r;
}
