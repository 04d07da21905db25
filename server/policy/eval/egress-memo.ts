/**
 * Egress directions decided once per (rules the source's egress walks, destination, port·protocol).
 *
 * An egress direction depends on the source only through the rules attached to its egress (its
 * SubjectIndex); the peer and the identity whose named ports count are both the destination. Pods
 * that nothing but admin and baseline rules select on egress share those rules with every pod of
 * namespaces labelled alike, so their egress is decided once for all of them: on the synthetic
 * cluster of bench/cli.ts, 40,127 decisions need 12,406 egress directions. Ingress does not share
 * this way (its named ports are the subject's own), so it is not memoised.
 */
import { DecisionTable } from "./decision-table";
import type { IdentityState } from "./identities";
import type { DirectionDecision } from "./rationale";
import type { CompiledRule, SubjectIndex } from "./targets";

export class EgressMemo {
  /** Per identity id, the class of its egress rules (equal lists in equal order share a class). */
  private readonly classOf: Int32Array;
  private readonly table = new DecisionTable<DirectionDecision>();
  /** How many distinct egress rule lists the identities have (fewer than identities when they share). */
  readonly classes: number;

  constructor(states: readonly IdentityState[]) {
    const ruleIds = new Map<CompiledRule, number>();
    const classes = new Map<string, number>();
    const ruleList = (rules: readonly CompiledRule[]) =>
      rules
        .map((r) => {
          let id = ruleIds.get(r);
          if (id === undefined) ruleIds.set(r, (id = ruleIds.size));
          return id;
        })
        .join(",");
    this.classOf = new Int32Array(states.length);
    states.forEach((st, i) => {
      const key = signature(st.egress, ruleList);
      let c = classes.get(key);
      if (c === undefined) classes.set(key, (c = classes.size));
      this.classOf[i] = c;
    });
    this.classes = classes.size;
  }

  /**
   * The egress of `srcId` towards `dst` at port·protocol `pp`, from the memo or from `decide` (then
   * kept). Identities interned after the memo was built (externals, on demand) are decided directly.
   */
  get(srcId: number, dstId: number, pp: number, decide: () => DirectionDecision): DirectionDecision {
    if (srcId >= this.classOf.length) return decide();
    const c = this.classOf[srcId]!;
    let d = this.table.get(c, dstId, pp, 0);
    if (d === undefined) this.table.set(c, dstId, pp, 0, (d = decide()));
    return d;
  }
}

/** What a direction's decision reads of the index (./decide.ts `direction`), as text. */
function signature(idx: SubjectIndex, ruleList: (rules: readonly CompiledRule[]) => string): string {
  // The isolating policies by id: the direction reads whether there are any and names them in its rationale.
  const policies = idx.npPolicies.map((p) => p.id).join(",");
  return `${ruleList(idx.admin)}|${ruleList(idx.npDeny)}|${ruleList(idx.npAllow)}|${policies}|${ruleList(idx.baseline)}|${idx.defaultDeny}`;
}
