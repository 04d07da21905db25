// The approval engine, shared by change requests and (later) exceptions: which
// approval rules a set of policy edits hits, what each rule asks for, and
// whether the standing approvals meet it. Pure: the callers load rules, edits,
// approvals and grants from the database and pass them in.
//
// Counting: within one rule each person fills at most one slot, whatever roles
// and functions they hold (a maximum matching of people to slots); a person may
// count once in each rule the change hits. The author and co-authors are never
// passed in as approvers (separation of duties is enforced when approving).
import type { ApprovalRequirement, ApprovalRuleMatch } from "@/db/schema/workflow";
import { TIERS, type CommitteeFunction, type Role } from "@/lib/vocabulary";
import { canonicalJson } from "@/server/lib/canonical";

export interface ApprovalRuleData {
  key: string;
  description: string;
  match: ApprovalRuleMatch;
  requirements: ApprovalRequirement[];
  enabled: boolean;
}

/** The kinds of edit a change carries: a policy, a compliance constraint, or the platform default (a global setting). */
export type EditKind = "Policy" | "ComplianceConstraint" | "PlatformDefault";

/** One policy edit of a change, as the rules see it. */
export interface PolicyEdit {
  policy: string;
  kind: EditKind;
  tier: string;
  tenantId: string | null;
  loosensConstraint: boolean;
  /** Set only when evaluating the emergency rule. */
  emergency?: boolean;
}

export interface Grant {
  tenantId: string | null;
  role: Role;
  committeeFunction: CommitteeFunction | null;
}

export interface Approver {
  id: string;
  label: string;
  grants: Grant[];
}

/** One line of the checklist: `count` people of `function` (in tenant `tenantId` when scoped to the owning tenant). */
export interface RequiredApproval {
  rule: string;
  function: CommitteeFunction;
  count: number;
  scope: ApprovalRequirement["scope"];
  /** The owning tenant for an owning-tenant requirement (null: a policy of no tenant, any tenant's approver counts). */
  tenantId: string | null;
  /** Who fills these slots now (labels), at most `count`. */
  givenBy: string[];
}

export interface RuleStatus {
  rule: string;
  description: string;
  /** The edits of the change this rule covers. */
  policies: string[];
  required: RequiredApproval[];
  satisfied: boolean;
}

export interface ApprovalEvaluation {
  rules: RuleStatus[];
  /** Edits no enabled rule covers: such a change cannot be approved until an admin adds a rule. */
  uncovered: string[];
  satisfied: boolean;
  /** Per approver id, the function they count for (the first slot they fill), for display. */
  countedAs: Map<string, CommitteeFunction>;
}

const kindIn = (kinds: readonly string[], kind: EditKind) => kinds.includes(kind);

/**
 * Whether `match` covers `edit`. The platform default's edit is of tier global (it reaches every
 * cluster) and loosens when it uncovers a namespace, so the global-tier rule covers it, and the
 * loosening rule too when it loosens.
 */
export function ruleMatches(match: ApprovalRuleMatch, edit: PolicyEdit): boolean {
  if (match.emergency || edit.emergency) return match.emergency === true && edit.emergency === true;
  if (match.loosensConstraint)
    return (
      edit.loosensConstraint &&
      (!match.kinds || kindIn(match.kinds, edit.kind)) &&
      (!match.tiers || match.tiers.includes(edit.tier as never))
    );
  if (match.tiers && !match.tiers.includes(edit.tier as never)) return false;
  if (match.kinds && !kindIn(match.kinds, edit.kind)) return false;
  return match.tiers !== undefined || match.kinds !== undefined;
}

/** The requirements of every enabled rule the edits hit, owning-tenant requirements once per tenant touched. */
export function requiredApprovals(
  rules: readonly ApprovalRuleData[],
  edits: readonly PolicyEdit[],
): { rules: Omit<RuleStatus, "satisfied">[]; uncovered: string[] } {
  const hit: Omit<RuleStatus, "satisfied">[] = [];
  const covered = new Set<string>();
  for (const rule of rules) {
    if (!rule.enabled) continue;
    const matched = edits.filter((e) => ruleMatches(rule.match, e));
    if (matched.length === 0) continue;
    matched.forEach((e) => covered.add(e.policy));
    const required: RequiredApproval[] = [];
    for (const r of rule.requirements) {
      const tenants =
        r.scope === "owning-tenant"
          ? [...new Set(matched.map((e) => e.tenantId))].sort((a, b) => String(a).localeCompare(String(b)))
          : [null];
      for (const tenantId of tenants)
        required.push({ rule: rule.key, function: r.function, count: r.count, scope: r.scope, tenantId, givenBy: [] });
    }
    hit.push({ rule: rule.key, description: rule.description, policies: matched.map((e) => e.policy).sort(), required });
  }
  return {
    rules: hit,
    uncovered: edits
      .map((e) => e.policy)
      .filter((p) => !covered.has(p))
      .sort(),
  };
}

const APPROVER_ROLES: readonly Role[] = ["approver", "admin"];

/** Whether a person with `grants` may fill a slot of `required`. */
export function mayFill(grants: readonly Grant[], required: Pick<RequiredApproval, "function" | "scope" | "tenantId">): boolean {
  return grants.some(
    (g) =>
      APPROVER_ROLES.includes(g.role) &&
      g.committeeFunction === required.function &&
      (required.scope === "organisation"
        ? g.tenantId === null
        : required.tenantId === null || g.tenantId === null || g.tenantId === required.tenantId),
  );
}

/** Evaluates the standing approvals (already filtered to the current content hash) against the rules the edits hit. */
export function evaluateApprovals(
  rules: readonly ApprovalRuleData[],
  edits: readonly PolicyEdit[],
  approvers: readonly Approver[],
): ApprovalEvaluation {
  const { rules: hit, uncovered } = requiredApprovals(rules, edits);
  const countedAs = new Map<string, CommitteeFunction>();
  const statuses = hit.map((rule) => {
    const slots = rule.required.flatMap((r) => Array.from({ length: r.count }, () => r));
    const filledBy = maximumMatching(slots, approvers);
    slots.forEach((slot, i) => {
      const who = filledBy[i];
      if (who === undefined) return;
      slot.givenBy.push(who.label);
      if (!countedAs.has(who.id)) countedAs.set(who.id, slot.function);
    });
    return { ...rule, satisfied: filledBy.every((w) => w !== undefined) && filledBy.length === slots.length };
  });
  return {
    rules: statuses,
    uncovered,
    satisfied: hit.length > 0 && uncovered.length === 0 && statuses.every((s) => s.satisfied),
    countedAs,
  };
}

/** The emergency rule's verdict on the same approvals (null: no enabled emergency rule is configured). */
export function evaluateEmergency(
  rules: readonly ApprovalRuleData[],
  edits: readonly PolicyEdit[],
  approvers: readonly Approver[],
): ApprovalEvaluation | null {
  const emergency = rules.filter((r) => r.enabled && r.match.emergency);
  if (emergency.length === 0) return null;
  return evaluateApprovals(
    emergency,
    edits.map((e) => ({ ...e, emergency: true })),
    approvers,
  );
}

/** Slot i → the person filling it (undefined: empty), each person at most once (augmenting paths; the sizes are tiny). */
function maximumMatching(slots: readonly RequiredApproval[], approvers: readonly Approver[]): (Approver | undefined)[] {
  const assigned: (Approver | undefined)[] = slots.map(() => undefined);
  const tryAssign = (person: Approver, seen: Set<number>): boolean => {
    for (let i = 0; i < slots.length; i++) {
      if (seen.has(i) || !mayFill(person.grants, slots[i]!)) continue;
      seen.add(i);
      const holder = assigned[i];
      if (holder === undefined || tryAssign(holder, seen)) {
        assigned[i] = person;
        return true;
      }
    }
    return false;
  };
  for (const person of approvers) tryAssign(person, new Set());
  return assigned;
}

/** Every kind of edit a change can carry, tenant aside: what "a rule can ever match" ranges over. */
const EDIT_SHAPES: readonly Omit<PolicyEdit, "policy" | "tenantId">[] = [
  ...TIERS.map((tier) => ({ kind: "Policy" as const, tier, loosensConstraint: false })),
  { kind: "ComplianceConstraint", tier: "global", loosensConstraint: false },
  { kind: "ComplianceConstraint", tier: "global", loosensConstraint: true },
  { kind: "PlatformDefault", tier: "global", loosensConstraint: false },
  { kind: "PlatformDefault", tier: "global", loosensConstraint: true },
];

/**
 * Why no one can ever satisfy `rule`, or null when someone can. The exact test (refused when saved):
 * 1. the rule matches some edit a change can carry (a tier × kind × loosening; the emergency rule
 *    matches the emergency path instead), and
 * 2. for at least one owner such a change can have (each tenant; "no tenant" too when the rule
 *    matches a tier other than namespace), the people who hold an approver or admin grant today
 *    fill every slot of the rule at once, each person once: the same maximum matching that
 *    counts real approvals. So "3 × networking" needs three distinct networking people, and
 *    "1 × security + 1 × networking" is not met by one person holding both.
 * The author of a change never counts, but any one change has other holders, so authorship does
 * not enter the test.
 */
export function unsatisfiableReason(
  rule: Pick<ApprovalRuleData, "match" | "requirements">,
  people: readonly Approver[],
  tenants: readonly { id: string; name: string }[],
): string | null {
  const shapes = rule.match.emergency
    ? [{ kind: "Policy" as const, tier: "namespace", loosensConstraint: false, emergency: true }]
    : EDIT_SHAPES.filter((shape) => ruleMatches(rule.match, { ...shape, policy: "", tenantId: null }));
  if (shapes.length === 0)
    return "It matches no change: no tier and kind it names can occur together (a compliance constraint is always global), or it names none.";
  if (rule.requirements.length === 0) return "It asks for no approval at all: add at least one requirement.";
  const owners: (string | null)[] = [
    ...tenants.map((t) => t.id),
    ...(rule.match.emergency || shapes.some((s) => s.tier !== "namespace") ? [null] : []),
  ];
  let best: { owner: string | null; slots: RequiredApproval[]; filled: (Approver | undefined)[] } | undefined;
  for (const owner of owners) {
    const slots = rule.requirements.flatMap((r) =>
      Array.from({ length: r.count }, () => ({
        rule: "",
        function: r.function,
        count: r.count,
        scope: r.scope,
        tenantId: owner,
        givenBy: [],
      })),
    );
    const filled = maximumMatching(slots, people);
    if (filled.every((p) => p !== undefined)) return null;
    if (!best || filled.filter(Boolean).length > best.filled.filter(Boolean).length) best = { owner, slots, filled };
  }
  if (!best) return "No tenant exists yet, so no change can be owned by one: an owning-tenant requirement cannot be met.";
  const tenantScoped = rule.requirements.some((r) => r.scope === "owning-tenant");
  const where =
    best.owner === null || !tenantScoped
      ? ""
      : ` (best case: a change of tenant ${tenants.find((t) => t.id === best.owner)?.name ?? best.owner})`;
  for (const r of rule.requirements) {
    const holders = people.filter((p) => mayFill(p.grants, { function: r.function, scope: r.scope, tenantId: best.owner }));
    if (holders.length < r.count) {
      const scope = r.scope === "organisation" ? "organisation-wide " : "";
      return `It needs ${r.count} × ${r.function}${r.scope === "owning-tenant" ? where : ""}, but only ${holders.length} ${holders.length === 1 ? "person holds" : "people hold"} that ${scope}committee function${holders.length ? ` (${holders.map((p) => p.label).join(", ")})` : ""}.`;
    }
  }
  const distinct = new Set(best.filled.filter(Boolean).map((p) => p!.id)).size;
  return `It needs ${best.slots.length} distinct people${where}, but the people holding its committee functions can fill only ${distinct} of its slots at once: one person counts once, whatever functions they hold.`;
}

/**
 * Whether an edit of a compliance constraint loosens it. Conservative: any
 * change to an existing constraint's spec other than its rationale counts as
 * loosening (narrowing the flow it denies, adding an exceptVia, changing ports
 * all can); a new constraint only adds a guardrail.
 */
export function loosensConstraint(kind: PolicyEdit["kind"], from: Record<string, unknown> | null, to: Record<string, unknown>): boolean {
  if (kind !== "ComplianceConstraint" || from === null) return false;
  const spec = (doc: Record<string, unknown>) => {
    const { rationale: _rationale, ...rest } = (doc.spec ?? {}) as Record<string, unknown>;
    return canonicalJson(rest);
  };
  return spec(from) !== spec(to);
}
