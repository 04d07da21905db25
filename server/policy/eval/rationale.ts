/**
 * The rationale of a decision, built lazily. A decision knows its verdict when it is made and keeps
 * what decided it (a compiled rule, the isolating policies, the default); the effects, reasons and
 * the nearest allow are built on first read, since most decisions are counted, not explained.
 */
import { refLabel, type Direction, type Effect, type Policy, type RuleRef, type Verdict } from "../model";
import { describeRule } from "../util/text";
import { tierOf, type CompiledRule } from "./targets";

export interface DirectionDecision {
  /** False when no policy can apply (e.g. egress of traffic that starts outside the cluster). */
  applicable: boolean;
  verdict: Verdict;
  /** The chain of effects that led to the verdict, in decision order (pass effects first). */
  effects: Effect[];
}

export interface NearestAllow {
  rule: RuleRef;
  layer: Effect["layer"];
  /** "port": same peer, other port; "peer": same port, other peer; "overridden": the rule matches but an earlier layer decided. */
  differs: "port" | "peer" | "overridden";
  description: string;
}

export interface Decision {
  verdict: Verdict;
  /** A flow-level effect (compliance constraint or exception) that decided before the directions, if any. */
  flow?: Effect;
  egress: DirectionDecision;
  ingress: DirectionDecision;
  nearestAllow?: NearestAllow;
}

/** A denied decision's search for its nearest allow, run when someone reads it (see ./decide.ts). */
export interface NearestAllowSearch {
  find(): NearestAllow | undefined;
}

/**
 * What decided a direction: a rule (admin, namespace or baseline; `by` is the CompiledRule), the
 * namespace isolation (`by` lists the isolating policies), the default, a flow-level rule
 * (constraint or exception; `by` is the CompiledRule), or nothing because the direction does not apply.
 */
export type DecidedBy = "rule" | "isolated" | "default" | "flow" | "not-applicable";

/**
 * One direction of a decision. The verdict is known when it is made; the effects (reasons, rule
 * references) are built on first read from what decided. No closure is allocated per decision.
 */
export class LazyDirection implements DirectionDecision {
  private static count = 0;
  private built: Effect[] | undefined;
  /** Its one-line path, kept by formatDirectionPath (./explain.ts) the first time it is asked for. */
  path: string | undefined;
  /** A number per direction object, for callers that key caches by the directions of a decision (the jsonl writer). */
  readonly id = ++LazyDirection.count;
  constructor(
    private readonly dir: Direction,
    readonly applicable: boolean,
    readonly verdict: Verdict,
    /** The admin rule that passed the decision on, when one did. */
    private readonly pass: CompiledRule | null,
    private readonly how: DecidedBy,
    private readonly by: CompiledRule | readonly Policy[] | null,
  ) {}

  /**
   * The direction decided this way: one shared object per (direction, verdict, pass, how, by), so
   * the many decisions that a direction decides alike build its effects and path once. Weakly held
   * by what decided (a rule, the isolating policies), so an evaluator's rules are not kept alive.
   */
  static of(
    dir: Direction,
    verdict: Verdict,
    pass: CompiledRule | null,
    how: DecidedBy,
    by: CompiledRule | readonly Policy[] | null,
  ): LazyDirection {
    const key = by ?? pass ?? DECIDED_BY_NOTHING;
    let list = directions.get(key);
    if (list === undefined) directions.set(key, (list = []));
    for (const d of list) if (d.dir === dir && d.verdict === verdict && d.pass === pass && d.how === how && d.by === by) return d;
    const d = new LazyDirection(dir, true, verdict, pass, how, by);
    list.push(d);
    return d;
  }

  get effects(): Effect[] {
    if (this.built === undefined) {
      const out: Effect[] = [];
      if (this.pass)
        out.push(ruleEffect(this.pass, "pass", `${describeRule(this.pass.rule.ref)} passes the decision to namespace policies`));
      const last = this.lastEffect();
      if (last) out.push(last);
      this.built = out;
    }
    return this.built;
  }

  private lastEffect(): Effect | null {
    const { dir, verdict, by } = this;
    switch (this.how) {
      case "rule": {
        const r = by as CompiledRule;
        return ruleEffect(r, verdict, `${describeRule(r.rule.ref)} ${verdict === "allow" ? "allows" : "denies"} it`);
      }
      case "isolated":
        return isolationEffect(dir, by as readonly Policy[]);
      case "default":
        return {
          layer: "default",
          direction: dir,
          verdict,
          reason:
            verdict === "deny"
              ? `no policy decides ${dir}; the platform default (secure by default) denies`
              : `no policy selects ${dir === "egress" ? "the source" : "the destination"} for ${dir}; Kubernetes allows by default`,
        };
      case "flow":
        // A constraint lists its effect only in the directions that apply; an exception in both.
        return this.applicable || verdict === "allow" ? flowEffect(by as CompiledRule) : null;
      case "not-applicable":
        return {
          layer: "default",
          direction: dir,
          verdict: "allow",
          reason: `the ${dir === "egress" ? "source" : "destination"} is not a pod on the pod network, so no ${dir} policy applies`,
        };
    }
  }

  toJSON(): { applicable: boolean; verdict: Verdict; effects: Effect[] } {
    return { applicable: this.applicable, verdict: this.verdict, effects: this.effects };
  }
}

const DECIDED_BY_NOTHING = {};
const directions = new WeakMap<object, LazyDirection[]>();

/** A decision whose flow-level effect and nearest allow are built on first read (see LazyDirection). */
export class LazyDecision implements Decision {
  private flowBuilt: Effect | undefined;
  private nearestBuilt: NearestAllow | undefined | null = null;
  constructor(
    readonly verdict: Verdict,
    readonly egress: DirectionDecision,
    readonly ingress: DirectionDecision,
    /** The constraint or exception that decided the whole flow, if one did. */
    private readonly flowRule: CompiledRule | null,
    private readonly near: NearestAllowSearch | null,
  ) {}

  get flow(): Effect | undefined {
    if (this.flowBuilt === undefined && this.flowRule) this.flowBuilt = flowEffect(this.flowRule);
    return this.flowBuilt;
  }

  get nearestAllow(): NearestAllow | undefined {
    if (this.nearestBuilt === null) this.nearestBuilt = this.near ? this.near.find() : undefined;
    return this.nearestBuilt;
  }

  toJSON(): Decision {
    const flow = this.flow;
    const nearestAllow = this.nearestAllow;
    return {
      verdict: this.verdict,
      ...(flow ? { flow } : {}),
      egress: this.egress,
      ingress: this.ingress,
      ...(nearestAllow ? { nearestAllow } : {}),
    };
  }
}

/** A constraint (deny) or an active exception (allow) decided the whole flow. */
export function flowDecision(r: CompiledRule, egressApplies: boolean, ingressApplies: boolean): Decision {
  const verdict: Verdict = r.policy.layer === "constraint" ? "deny" : "allow";
  return new LazyDecision(
    verdict,
    new LazyDirection("egress", egressApplies, verdict, null, "flow", r),
    new LazyDirection("ingress", ingressApplies, verdict, null, "flow", r),
    r,
    null,
  );
}

/** The direction verdict of a flow whose source (egress) or destination (ingress) is not a pod on the pod network. */
export const NOT_APPLICABLE: Record<Direction, DirectionDecision> = {
  egress: new LazyDirection("egress", false, "allow", null, "not-applicable", null),
  ingress: new LazyDirection("ingress", false, "allow", null, "not-applicable", null),
};

function flowEffect(r: CompiledRule): Effect {
  const p = r.policy;
  if (p.layer === "constraint") return ruleEffect(r, "deny", `compliance constraint ${refLabel(p.ref)} forbids this flow`);
  return ruleEffect(r, "allow", `exception ${refLabel(p.ref)}${p.expiresAt ? ` (expires ${p.expiresAt})` : ""} allows this flow`);
}

function isolationEffect(dir: Direction, npPolicies: readonly Policy[]): Effect {
  const names = npPolicies.map((p) => `${p.ref.kind} ${refLabel(p.ref)}`);
  return {
    layer: "namespace",
    direction: dir,
    verdict: "deny",
    policy: npPolicies[0]!.ref,
    reason: `${dir === "egress" ? "the source" : "the destination"} is isolated for ${dir} by ${names.join(", ")} and no ${dir} rule of ${names.length > 1 ? "them" : "it"} allows this peer and port`,
  };
}

function ruleEffect(r: CompiledRule, verdict: Effect["verdict"], reason: string): Effect {
  const p = r.policy;
  return {
    layer: p.layer,
    ...(p.layer === "admin" ? { tier: tierOf(p) } : {}),
    direction: r.rule.direction,
    verdict,
    policy: p.ref,
    rule: r.rule.ref,
    ...(p.priority !== undefined ? { priority: p.priority } : {}),
    reason,
  };
}
