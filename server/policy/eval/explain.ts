/** Rationale formatting: a one-line path and a readable multi-line explanation. */
import { refLabel, type Direction, type Effect } from "../model";
import { formatPortProtocol, ruleLabel } from "../util/text";
import type { Decision, DirectionDecision } from "./evaluator";
import { LazyDirection } from "./rationale";

function layerTag(e: Effect): string {
  return e.layer === "admin" ? (e.tier ?? "cluster") : e.layer;
}

/** `[cluster] pass (pass-example rule 0) → [namespace] allow (payments/allow-api rule 0)` */
export function formatEffect(e: Effect): string {
  let what = "";
  if (e.rule) what = ` (${ruleLabel(e.rule)})`;
  else if (e.policy) what = ` (${refLabel(e.policy)})`;
  return `[${layerTag(e)}] ${e.verdict}${what}`;
}

/**
 * The engine's directions are immutable and shared by the decisions they decide alike (LazyDirection.of):
 * each path is formatted once and kept on the direction (a field, where a WeakMap by direction cost a
 * lookup in an ephemeron table per call).
 */
export function formatDirectionPath(d: DirectionDecision): string {
  if (!(d instanceof LazyDirection)) return d.effects.map(formatEffect).join(" → ");
  return (d.path ??= d.effects.map(formatEffect).join(" → "));
}

/** One direction's part of a decision's path: `egress: …` (n/a when the direction does not apply). */
export function formatPathPart(name: Direction, x: DirectionDecision): string {
  return `${name}: ${x.applicable ? formatDirectionPath(x) : "n/a"}`;
}

/** What separates the egress part of a decision's path from its ingress part. */
export const PATH_PART_SEPARATOR = "; ";

/** One line: `egress: … ; ingress: …` (directions that do not apply are marked n/a). */
export function formatDecisionPath(d: Decision): string {
  if (d.flow) return `${formatEffect(d.flow)}`;
  return `${formatPathPart("egress", d.egress)}${PATH_PART_SEPARATOR}${formatPathPart("ingress", d.ingress)}`;
}

export interface ExplainSubject {
  src: string;
  dst: string;
  port: number;
  protocol: string;
}

/** A readable explanation, several lines, for people. */
export function formatExplanation(flow: ExplainSubject, d: Decision): string {
  const lines: string[] = [];
  lines.push(`${flow.src} → ${flow.dst} ${formatPortProtocol(flow.port, flow.protocol)}: ${d.verdict.toUpperCase()}`);
  if (d.flow) {
    lines.push(`  decided for the whole flow by ${d.flow.layer}: ${d.flow.reason}`);
  } else {
    for (const [name, x] of [
      ["egress (checked at the source)", d.egress],
      ["ingress (checked at the destination)", d.ingress],
    ] as const) {
      lines.push(`  ${name}: ${x.applicable ? x.verdict : "not applicable"}`);
      for (const e of x.effects) {
        const loc = e.rule?.file
          ? ` [${e.rule.file}${e.rule.line ? `:${e.rule.line}` : ""}]`
          : e.policy?.file
            ? ` [${e.policy.file}${e.policy.line ? `:${e.policy.line}` : ""}]`
            : "";
        lines.push(`    ${formatEffect(e)}: ${e.reason}${loc}`);
      }
    }
  }
  if (d.nearestAllow) lines.push(`  closest rule that would allow it: ${d.nearestAllow.description}`);
  return lines.join("\n");
}

/** JSON-friendly rationale for decision records and `simulate --output jsonl`. */
export function rationaleJson(d: Decision): Record<string, unknown> {
  const eff = (e: Effect) => ({
    layer: e.layer,
    ...(e.tier ? { tier: e.tier } : {}),
    verdict: e.verdict,
    ...(e.policy
      ? {
          policy: {
            kind: e.policy.kind,
            ...(e.policy.namespace ? { namespace: e.policy.namespace } : {}),
            name: e.policy.name,
            ...(e.policy.version ? { version: e.policy.version } : {}),
          },
        }
      : {}),
    ...(e.rule
      ? {
          rule: {
            direction: e.rule.direction,
            index: e.rule.ruleIndex,
            ...(e.rule.ruleName ? { name: e.rule.ruleName } : {}),
            ...(e.rule.file ? { file: e.rule.file, line: e.rule.line } : {}),
          },
        }
      : {}),
    ...(e.priority !== undefined ? { priority: e.priority } : {}),
    reason: e.reason,
  });
  const dir = (x: DirectionDecision) => ({ applicable: x.applicable, verdict: x.verdict, effects: x.effects.map(eff) });
  return {
    path: formatDecisionPath(d),
    ...(d.flow ? { flow: eff(d.flow) } : {}),
    egress: dir(d.egress),
    ingress: dir(d.ingress),
    ...(d.nearestAllow
      ? {
          nearestAllow: {
            rule: {
              kind: d.nearestAllow.rule.kind,
              ...(d.nearestAllow.rule.namespace ? { namespace: d.nearestAllow.rule.namespace } : {}),
              name: d.nearestAllow.rule.name,
              direction: d.nearestAllow.rule.direction,
              index: d.nearestAllow.rule.ruleIndex,
            },
            differs: d.nearestAllow.differs,
            description: d.nearestAllow.description,
          },
        }
      : {}),
  };
}
