/**
 * Directions and admin-tier walks decided once for every identity whose rules are the same list.
 *
 * An egress direction depends on the source only through the rules attached to its egress (its
 * SubjectIndex); the peer and the identity whose named ports count are both the destination. Pods
 * that nothing but admin and baseline rules select on egress share those rules with every pod of
 * namespaces labelled alike, so their egress is decided once for all of them: on the synthetic
 * cluster of bench/cli.ts, 40,127 decisions need 12,406 egress directions. Ingress does not share
 * whole directions this way (its named ports are the subject's own).
 *
 * The admin-tier walk (first matching rule among the admin rules, in decision order) is the longest
 * part of a direction, and it shares more widely: its outcome depends on the subject only through
 * its admin list, in either direction, unless an ingress rule's ports are named (looked up on the
 * destination, which is then the subject). On that cluster the 3,846 pod identities have 4 distinct admin lists, and 50,537
 * directions need 18,261 walks.
 */
import { DecisionTable } from "./decision-table";
import type { Identity, IdentityState } from "./identities";
import type { DirectionDecision } from "./rationale";
import { firstMatch, portInRange, type CompiledRule, type SubjectIndex } from "./targets";
import type { Direction, Protocol } from "../model";

/** Shorter admin lists are walked: a few compares cost less than a table lookup. */
const MIN_MEMOISED_WALK = 4;

export class DirectionMemo {
  /** Per identity id, the class of its egress rules (equal lists in equal order share a class). */
  private readonly egressClassOf: Int32Array;
  private readonly egressTable = new DecisionTable<DirectionDecision>();
  /** How many distinct egress rule lists the identities have (fewer than identities when they share). */
  readonly classes: number;
  /** Per direction and identity id, the class of its admin list; -1 when it is walked every time. */
  private readonly adminClassOf: Record<Direction, Int32Array>;
  /** First matching admin rule (null: none) by (admin class, peer id, port·protocol). */
  private readonly walks = new DecisionTable<CompiledRule | null>();
  /** Per (admin class, port·protocol), the class's rules whose ports can match it, in order. */
  private readonly byPort = new DecisionTable<readonly CompiledRule[]>();
  /** How many distinct admin lists are memoised. */
  readonly adminClasses: number;

  constructor(states: readonly IdentityState[]) {
    const lists = new RuleLists();
    const egress = new Map<string, number>();
    const admin = new Map<string, number>();
    const classOf = (classes: Map<string, number>, key: string) => {
      let c = classes.get(key);
      if (c === undefined) classes.set(key, (c = classes.size));
      return c;
    };
    this.egressClassOf = new Int32Array(states.length);
    this.adminClassOf = { ingress: new Int32Array(states.length), egress: new Int32Array(states.length) };
    states.forEach((st, i) => {
      this.egressClassOf[i] = classOf(egress, signature(st.egress, lists));
      for (const dir of ["ingress", "egress"] as const) {
        const list = st[dir].admin;
        // On egress the destination is the peer, which the key holds; on ingress it is the subject.
        const shared = list.length >= MIN_MEMOISED_WALK && (dir === "egress" || !lists.anyReadsDestinationPorts(list));
        this.adminClassOf[dir][i] = shared ? classOf(admin, lists.sharedKey(list)) : -1;
      }
    });
    this.classes = egress.size;
    this.adminClasses = admin.size;
  }

  /** Entries held (directions, walks and port-filtered rule lists): the evaluator starts a new memo past its bound. */
  get size(): number {
    return this.egressTable.size + this.walks.size + this.byPort.size;
  }

  /**
   * The egress of `srcId` towards `dst` at port·protocol `pp`, from the memo or from `decide` (then
   * kept). Identities interned after the memo was built (externals, on demand) are decided directly.
   */
  egress(srcId: number, dstId: number, pp: number, decide: () => DirectionDecision): DirectionDecision {
    if (srcId >= this.egressClassOf.length) return decide();
    const c = this.egressClassOf[srcId]!;
    let d = this.egressTable.get(c, dstId, pp, 0);
    if (d === undefined) this.egressTable.set(c, dstId, pp, 0, (d = decide()));
    return d;
  }

  /** The first of the subject's admin rules that matches (see `firstMatch`), walked once per admin class. */
  firstAdmin(
    dir: Direction,
    subjectId: number,
    list: readonly CompiledRule[],
    peer: Identity,
    port: number,
    protocol: Protocol,
    pp: number,
    dst: Identity,
  ): CompiledRule | undefined {
    const classes = this.adminClassOf[dir];
    const c = subjectId < classes.length ? classes[subjectId]! : -1;
    if (c < 0) return firstMatch(list, peer, port, protocol, dst);
    let r = this.walks.get(c, peer.id, pp, 0);
    if (r === undefined) {
      // A walk then visits only the rules its port can match (about a quarter on the CLI benchmark's cluster).
      let rules = this.byPort.get(c, 0, pp, 0);
      if (rules === undefined)
        this.byPort.set(c, 0, pp, 0, (rules = list.filter((x) => x.onePort === null || portInRange(x.onePort, port, protocol))));
      r = firstMatch(rules, peer, port, protocol, dst) ?? null;
      this.walks.set(c, peer.id, pp, 0, r);
    }
    return r ?? undefined;
  }
}

/** A named port is looked up on the destination's containers: such a rule's match is not the list's alone. */
const readsDestinationPorts = (r: CompiledRule) => r.ports?.some((m) => m.kind === "named") ?? false;

/** Rule lists as text (rules numbered as first seen), so equal lists in equal order have equal keys. */
class RuleLists {
  private readonly ids = new Map<CompiledRule, number>();
  /** Keys by list, for the admin and baseline lists that identities share (see attachPolicies), each a few hundred rules long. */
  private readonly sharedKeys = new Map<readonly CompiledRule[], string>();
  key(rules: readonly CompiledRule[]): string {
    return rules
      .map((r) => {
        let id = this.ids.get(r);
        if (id === undefined) this.ids.set(r, (id = this.ids.size));
        return id;
      })
      .join(",");
  }
  private readonly namedPorts = new Map<readonly CompiledRule[], boolean>();
  /** Whether a shared list has a rule with a named port, found once per list (thousands of identities share a few lists). */
  anyReadsDestinationPorts(rules: readonly CompiledRule[]): boolean {
    let named = this.namedPorts.get(rules);
    if (named === undefined) this.namedPorts.set(rules, (named = rules.some(readsDestinationPorts)));
    return named;
  }
  /** A shared list's key, made once per list. */
  sharedKey(rules: readonly CompiledRule[]): string {
    let key = this.sharedKeys.get(rules);
    if (key === undefined) this.sharedKeys.set(rules, (key = this.key(rules)));
    return key;
  }
}

/** What a direction's decision reads of the index (./decide.ts `direction`), as text. */
function signature(idx: SubjectIndex, lists: RuleLists): string {
  // The isolating policies by id: the direction reads whether there are any and names them in its rationale.
  const policies = idx.npPolicies.map((p) => p.id).join(",");
  // The namespace policies' lists are each identity's own; the admin and baseline ones are shared.
  return `${lists.sharedKey(idx.admin)}|${lists.key(idx.npDeny)}|${lists.key(idx.npAllow)}|${policies}|${lists.sharedKey(idx.baseline)}|${idx.defaultDeny}`;
}
