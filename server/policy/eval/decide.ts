/**
 * The decision for one flow between two identities (DESIGN.md "Decision order for one flow"):
 * compliance constraints, active exceptions, then per direction the admin tiers (first match,
 * Pass skips the rest), namespace policies (NetworkPolicy semantics, Cilium denies win), the
 * baseline and the platform default. A deny also knows how to find its nearest allow.
 */
import type { Direction, Effect, Protocol } from "../model";
import { describeRule, formatPortProtocol, formatPorts } from "../util/text";
import type { DirectionMemo } from "./direction-memo";
import type { Identity, IdentityState } from "./identities";
import { anyPeerMatches, anyPortMatches } from "./matchers";
import {
  LazyDecision,
  LazyDirection,
  NOT_APPLICABLE,
  flowDecision,
  type Decision,
  type DirectionDecision,
  type NearestAllow,
  type NearestAllowSearch,
} from "./rationale";
import { activeAt, firstMatch, ruleMatches, type CompiledRule, type SubjectIndex } from "./targets";

const PROTOCOL_SLOT: Record<Protocol, number> = { TCP: 0, UDP: 1, SCTP: 2 };

function firstActive(
  list: readonly CompiledRule[],
  epoch: number,
  peer: Identity,
  port: number,
  protocol: Protocol,
  dst: Identity,
): CompiledRule | undefined {
  for (const r of list) if (activeAt(r, epoch) && ruleMatches(r, peer, port, protocol, dst)) return r;
  return undefined;
}

/** Decide a flow from `src` to `dst` (their states hold the attached rules) at an exception epoch. */
export function evaluate(
  states: readonly IdentityState[],
  src: Identity,
  dst: Identity,
  port: number,
  protocol: Protocol,
  epoch: number,
  memo?: DirectionMemo,
): Decision {
  const srcSt = states[src.id]!;
  const dstSt = states[dst.id]!;
  const egressApplies = src.kind === "pod" && !src.hostNetwork;
  const ingressApplies = dst.kind === "pod" && !dst.hostNetwork;

  // 1. Compliance constraints: any match denies the whole flow.
  const constraint =
    (egressApplies ? firstMatch(srcSt.egress.constraint, dst, port, protocol, dst) : undefined) ??
    (ingressApplies ? firstMatch(dstSt.ingress.constraint, src, port, protocol, dst) : undefined);
  if (constraint) return flowDecision(constraint, egressApplies, ingressApplies);
  // 2. Active exceptions: a match allows the whole flow.
  const exception =
    (egressApplies ? firstActive(srcSt.egress.exception, epoch, dst, port, protocol, dst) : undefined) ??
    (ingressApplies ? firstActive(dstSt.ingress.exception, epoch, src, port, protocol, dst) : undefined);
  if (exception) return flowDecision(exception, egressApplies, ingressApplies);
  const pp = port * 4 + PROTOCOL_SLOT[protocol];
  const egress = !egressApplies
    ? NOT_APPLICABLE.egress
    : memo
      ? memo.egress(src.id, dst.id, pp, () => direction("egress", srcSt.egress, src.id, dst, port, protocol, pp, dst, memo))
      : direction("egress", srcSt.egress, src.id, dst, port, protocol, pp, dst);
  const ingress = ingressApplies ? direction("ingress", dstSt.ingress, dst.id, src, port, protocol, pp, dst, memo) : NOT_APPLICABLE.ingress;
  if (egress.verdict === "allow" && ingress.verdict === "allow") return new LazyDecision("allow", egress, ingress, null, null);
  const near =
    egress.verdict === "deny"
      ? new NearestAllowQuery(srcSt.egress, dst, port, protocol, dst, egress, epoch)
      : new NearestAllowQuery(dstSt.ingress, src, port, protocol, dst, ingress, epoch);
  return new LazyDecision("deny", egress, ingress, null, near);
}

/** Decides one direction of `subjectId`; the effects (the rationale) are built from `pass` and the deciding step when read. */
function direction(
  dir: Direction,
  idx: SubjectIndex,
  subjectId: number,
  peer: Identity,
  port: number,
  protocol: Protocol,
  pp: number,
  dst: Identity,
  memo?: DirectionMemo,
): DirectionDecision {
  // 3. Admin tiers: first matching rule in (tier, priority, rule order) decides; Pass skips the remaining admin rules.
  const admin = memo
    ? memo.firstAdmin(dir, subjectId, idx.admin, peer, port, protocol, pp, dst)
    : firstMatch(idx.admin, peer, port, protocol, dst);
  let pass: CompiledRule | null = null;
  if (admin !== undefined) {
    const a = admin.rule.action;
    if (a !== "pass") return LazyDirection.of(dir, a, null, "rule", admin);
    pass = admin;
  }
  // 4. Namespace policies (NetworkPolicy semantics; Cilium deny rules win within the layer,
  //    also from policies that do not isolate the pod).
  const deny = firstMatch(idx.npDeny, peer, port, protocol, dst);
  if (deny) return LazyDirection.of(dir, "deny", pass, "rule", deny);
  if (idx.npPolicies.length > 0) {
    const allow = firstMatch(idx.npAllow, peer, port, protocol, dst);
    if (allow) return LazyDirection.of(dir, "allow", pass, "rule", allow);
    return LazyDirection.of(dir, "deny", pass, "isolated", idx.npPolicies);
  }
  // 5. Baseline: first matching rule decides.
  for (const r of idx.baseline) {
    if (!ruleMatches(r, peer, port, protocol, dst)) continue;
    const a = r.rule.action === "deny" ? "deny" : "allow";
    return LazyDirection.of(dir, a, pass, "rule", r);
  }
  return LazyDirection.of(dir, idx.defaultDeny ? "deny" : "allow", pass, "default", null);
}

/** What a denied decision needs to find its nearest allow when someone asks. */
class NearestAllowQuery implements NearestAllowSearch {
  constructor(
    private readonly idx: SubjectIndex,
    private readonly peer: Identity,
    private readonly port: number,
    private readonly protocol: Protocol,
    private readonly dst: Identity,
    private readonly decided: DirectionDecision,
    private readonly epoch: number,
  ) {}

  find(): NearestAllow | undefined {
    return nearestAllow(this.idx, this.peer, this.port, this.protocol, this.dst, this.decided, this.epoch);
  }
}

/**
 * The closest allow rule of a denied flow (see NearestAllow), in one pass over the allow rules that
 * could apply: a rule that matches but was overridden, else one with the right peer (other port),
 * else one with the right port (other peer).
 */
function nearestAllow(
  idx: SubjectIndex,
  peer: Identity,
  port: number,
  protocol: Protocol,
  dst: Identity,
  decided: DirectionDecision,
  epoch: number,
): NearestAllow | undefined {
  let overridden: { r: CompiledRule; layer: Effect["layer"] } | undefined;
  let samePeer: { r: CompiledRule; layer: Effect["layer"] } | undefined;
  let samePort: { r: CompiledRule; layer: Effect["layer"] } | undefined;
  const scan = (list: CompiledRule[], layer: Effect["layer"]) => {
    for (const r of list) {
      // An expired exception would allow nothing: never offer it as the nearest allow.
      if (r.rule.action !== "allow" || !activeAt(r, epoch)) continue;
      const po = anyPortMatches(r.ports, port, protocol, dst);
      const pe = anyPeerMatches(r.peers, peer);
      if (po && pe) overridden ??= { r, layer };
      else if (pe) samePeer ??= { r, layer };
      else if (po) samePort ??= { r, layer };
    }
  };
  scan(idx.npAllow, "namespace");
  scan(idx.admin, "admin");
  scan(idx.baseline, "baseline");
  scan(idx.exception, "exception");
  if (overridden) {
    const ref = overridden.r.rule.ref;
    const by = decided.effects[decided.effects.length - 1];
    return {
      rule: ref,
      layer: overridden.layer,
      differs: "overridden",
      description: `${describeRule(ref)} would allow it, but ${by ? `${by.layer} (${by.reason})` : "an earlier layer"} decided first`,
    };
  }
  if (samePeer) {
    const ref = samePeer.r.rule.ref;
    return {
      rule: ref,
      layer: samePeer.layer,
      differs: "port",
      description: `${describeRule(ref)} allows this peer on ${formatPorts(samePeer.r.rule.ports)}, not on ${formatPortProtocol(port, protocol)}`,
    };
  }
  if (samePort) {
    const ref = samePort.r.rule.ref;
    return {
      rule: ref,
      layer: samePort.layer,
      differs: "peer",
      description: `${describeRule(ref)} allows ${formatPortProtocol(port, protocol)}, but only from/to other peers`,
    };
  }
  return undefined;
}
