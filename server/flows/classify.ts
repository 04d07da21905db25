// What an observed flow means for the release in force (issue 17): its class
// (violation, near-miss, enforcement gap, allowed) from the cluster's verdict and
// the engine's decision, and the engine's effect that settled it. Pure.
import type { FlowAttribution } from "@/db/schema/flows";
import type { FlowClass } from "@/lib/flows";
import type { Decision } from "@/server/policy/eval/evaluator";
import { refLabel, type Effect } from "@/server/policy/model";
import { ruleLabel } from "@/server/policy/util/text";

function effectAttribution(e: Effect): FlowAttribution {
  return {
    layer: e.layer,
    ...(e.tier ? { tier: e.tier } : {}),
    ...(e.policy ? { policy: `${e.policy.kind} ${refLabel(e.policy)}` } : {}),
    ...(e.rule ? { rule: ruleLabel(e.rule) } : {}),
    reason: e.reason,
  };
}

const attributions = new WeakMap<Decision, FlowAttribution | null>();

/** The effect that settled a decision: the flow-level rule, else the last effect of the direction that denied (or, allowed, of ingress then egress). */
export function attributionOf(d: Decision): FlowAttribution | null {
  const hit = attributions.get(d);
  if (hit !== undefined) return hit;
  let effect: Effect | undefined = d.flow;
  if (!effect) {
    const dirs = [d.egress, d.ingress].filter((x) => x.applicable);
    const deciding = d.verdict === "deny" ? dirs.find((x) => x.verdict === "deny") : (dirs.at(-1) ?? undefined);
    effect = deciding?.effects.at(-1);
  }
  const out = effect ? effectAttribution(effect) : null;
  attributions.set(d, out);
  return out;
}

/** The class of a flow: the cluster dropped it; the cluster forwarded what the release denies; only an exception allows it. */
export function classify(verdict: string, decision: Decision | null): FlowClass {
  if (verdict === "DROPPED") return "violation";
  if (!decision) return "allowed";
  if (decision.verdict === "deny") return "enforcement-gap";
  if (decision.flow?.layer === "exception") return "near-miss";
  return "allowed";
}
