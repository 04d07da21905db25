// The impact of a change request, computed by the engine against the current
// release (pure: no database). From the graph of the release and of the
// release with the change in place (server/graph/compute.ts, the overlay the
// graph screen draws): per cluster the app-to-service paths added and removed,
// each with the engine's rationale; the workloads newly under default deny;
// the compliance constraints touched; and a risk level with its reasons.
import { anyPeerMatches, anyPortMatches } from "@/server/policy/eval/matchers";
import type { Evaluator, Identity } from "@/server/policy/eval/evaluator";
import type { Protocol } from "@/server/policy/model";
import { probePort } from "@/server/graph/build";
import type { ClusterState, ComputedGraph } from "@/server/graph/compute";
import { edgeRationale, type PortRationale } from "@/server/graph/details";
import { parseNodeId } from "@/lib/graph/ids";
import type { EdgeAllowance, GraphWarning, OverlayPath } from "@/lib/graph/types";
import { TIERS, type Tier } from "@/lib/vocabulary";
import type { EditKind } from "@/server/workflow/rules";

export const RISK_LEVELS = ["low", "medium", "high", "critical"] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];
export type Criticality = "critical" | "high" | "medium" | "low";

/** One policy or constraint of the change, as the approval rules see it. */
export interface ImpactEdit {
  policy: string;
  kind: EditKind;
  tier: string;
  /** null: a new policy. */
  fromVersion: number | null;
  toVersion: number;
  /** server/workflow/rules.ts loosensConstraint. */
  loosensConstraint: boolean;
}

/** Why one port of a path is newly allowed or newly denied, from the engine's decisions. */
export interface PathPortRationale {
  port: string;
  /** What allows it (added) or allowed it (removed): the deciding layer, tier, policy and rule. */
  allowance: EdgeAllowance | null;
  /** The engine's one-line decision path with the change in place, e.g. `egress: [namespace] allow (…); ingress: …`. */
  path: string;
  /** Removed paths: the closest rule that would still allow it. */
  nearestAllow?: string;
}

export interface ImpactPath {
  edgeId: string;
  change: "added" | "removed";
  /** `checkout/cart → payments/payments-api 8080/TCP` */
  label: string;
  ports: string[];
  /** Where it leads when that matters for risk: `world`, or a destination's criticality. */
  destination?: { name: string; criticality: Criticality | "world" };
  /** Absent beyond the first paths of a large change (see ClusterImpact.withoutRationale). */
  rationale?: PathPortRationale[];
}

export interface DefaultDenied {
  /** `namespace/workload` */
  workload: string;
  direction: "ingress" | "egress";
  /** What denies what no rule allows, with the change in place (or, for `noLongerDefaultDenied`, before it). */
  by: string;
}

export interface ClusterImpact {
  cluster: string;
  added: ImpactPath[];
  removed: ImpactPath[];
  /** Workload-direction pairs where traffic no rule allows was allowed and now is denied. */
  newlyDefaultDenied: DefaultDenied[];
  /** … and the reverse: what the change leaves open by default. */
  noLongerDefaultDenied: DefaultDenied[];
  /** Paths listed without their rationale (a large change: only the first are explained). */
  withoutRationale: number;
}

export interface RiskReason {
  level: RiskLevel;
  text: string;
}

export interface ChangeImpact {
  risk: { level: RiskLevel; reasons: RiskReason[] };
  clusters: ClusterImpact[];
  tiers: Tier[];
  constraints: { name: string; change: "new" | "edited"; loosens: boolean }[];
  /** Lowering problems of the changed set (the graph may lack what the authors meant). */
  warnings: GraphWarning[];
  totals: { added: number; removed: number; newlyDefaultDenied: number };
}

export interface ImpactInput {
  /** The graph of the release with the change as overlay (computeGraph with `proposal`). */
  graph: ComputedGraph;
  edits: readonly ImpactEdit[];
  /** Criticality of external destinations, by the name the graph gives them (DNS name or the CIDR's name). */
  criticality: ReadonlyMap<string, Criticality>;
  time?: Date;
  /** Paths explained with their rationale, over all clusters (each costs a few decisions). Default 200. */
  maxRationales?: number;
  /** Extra reasons computed elsewhere (e.g. the compile check's disagreements). */
  extraReasons?: readonly RiskReason[];
}

const RANK: Record<RiskLevel, number> = { low: 0, medium: 1, high: 2, critical: 3 };
const maxLevel = (levels: readonly RiskLevel[]): RiskLevel => levels.reduce<RiskLevel>((a, b) => (RANK[b] > RANK[a] ? b : a), "low");

/** What an external destination's criticality adds to the risk of a path opened to it. */
const OPENED_TO: Record<Criticality | "world", RiskLevel> = {
  world: "critical",
  critical: "critical",
  high: "high",
  medium: "medium",
  low: "low",
};

/** The destination of a path when it is `world` or a named external destination. */
function destinationOf(target: string, criticality: ImpactInput["criticality"]): ImpactPath["destination"] {
  const node = parseNodeId(target);
  if (node?.kind !== "external") return undefined;
  if (node.name === "world") return { name: "world", criticality: "world" };
  const c = criticality.get(node.name);
  return c ? { name: node.name, criticality: c } : undefined;
}

function portRationale(port: string, change: "added" | "removed", current?: PortRationale, proposed?: PortRationale): PathPortRationale {
  const after = proposed;
  return {
    port,
    allowance: (change === "added" ? after?.allowance : current?.allowance) ?? null,
    path: after?.path ?? "",
    ...(change === "removed" && after?.nearestAllow ? { nearestAllow: after.nearestAllow } : {}),
  };
}

/** Any address no rule names, on a port no rule names: what "traffic no rule allows" is probed with. */
const UNNAMED = { ip: "198.51.100.77", label: "*/TCP" };

/**
 * Per workload (`namespace/Kind/name`) and direction, what denies traffic no rule allows, or
 * nothing when such traffic passes: a namespace policy isolating it, a baseline rule that denies
 * the probe, or the platform default. A workload counts only when every pod of it is denied so.
 */
export function defaultDenials(ev: Evaluator): ReadonlyMap<string, { ingress?: string; egress?: string }> {
  let known = denialsOf.get(ev);
  if (!known) denialsOf.set(ev, (known = computeDenials(ev)));
  return known;
}

/** Per evaluator (the release's are shared by every change's overlay while cached). */
const denialsOf = new WeakMap<Evaluator, Map<string, { ingress?: string; egress?: string }>>();

function computeDenials(ev: Evaluator): Map<string, { ingress?: string; egress?: string }> {
  const probe = probePort(UNNAMED.label, ev)!;
  const unnamed = ev.resolve({ kind: "ip", ip: UNNAMED.ip });
  const out = new Map<string, { ingress?: string; egress?: string }>();
  if (!unnamed.ok) return out;
  const open = new Set<string>();
  for (const { pod, identity } of ev.podEntries) {
    const w = pod.workload ?? { kind: "Pod", name: pod.name };
    const key = `${pod.namespace}/${w.kind}/${w.name}`;
    const denials = out.get(key) ?? {};
    out.set(key, denials);
    const idx = ev.subjectIndex(identity.id);
    for (const direction of ["ingress", "egress"] as const) {
      const by = deniedBy(idx[direction], direction, identity, unnamed.value, probe);
      if (by) denials[direction] ??= by;
      else open.add(`${key}|${direction}`);
    }
  }
  for (const slot of open) {
    const [key, direction] = slot.split("|") as [string, "ingress" | "egress"];
    delete out.get(key)![direction];
  }
  return out;
}

function deniedBy(
  idx: ReturnType<Evaluator["subjectIndex"]>["egress"],
  direction: "ingress" | "egress",
  self: Identity,
  outside: Identity,
  probe: { port: number; protocol: Protocol },
): string | undefined {
  if (idx.npPolicies.length > 0) return `isolated by ${[...new Set(idx.npPolicies.map((p) => p.ref.name))].sort().join(", ")}`;
  const dst = direction === "egress" ? outside : self;
  for (const r of idx.baseline) {
    if (!anyPortMatches(r.ports, probe.port, probe.protocol, dst) || !anyPeerMatches(r.peers, outside)) continue;
    return r.rule.action === "deny" ? `baseline ${r.rule.ref.name}` : undefined;
  }
  return idx.defaultDeny ? "the platform default" : undefined;
}

const workloadLabel = (key: string) => {
  const [namespace, , name] = key.split("/");
  return `${namespace}/${name}`;
};

/** Workload-direction pairs denied by default on one side and not on the other. */
function defaultDenyChanges(base: ClusterState, proposal: ClusterState): { newly: DefaultDenied[]; noLonger: DefaultDenied[] } {
  const before = defaultDenials(base.evaluator);
  const after = defaultDenials(proposal.evaluator);
  const newly: DefaultDenied[] = [];
  const noLonger: DefaultDenied[] = [];
  for (const key of new Set([...before.keys(), ...after.keys()])) {
    for (const direction of ["ingress", "egress"] as const) {
      const b = before.get(key)?.[direction];
      const a = after.get(key)?.[direction];
      if (a && !b && before.has(key)) newly.push({ workload: workloadLabel(key), direction, by: a });
      if (b && !a && after.has(key)) noLonger.push({ workload: workloadLabel(key), direction, by: b });
    }
  }
  const order = (x: DefaultDenied, y: DefaultDenied) => x.workload.localeCompare(y.workload) || x.direction.localeCompare(y.direction);
  return { newly: newly.sort(order), noLonger: noLonger.sort(order) };
}

/** The first few items of a list as text: `a, b, c and 4 more`. */
function some(list: readonly string[], shown = 3): string {
  return list.length <= shown ? list.join(", ") : `${list.slice(0, shown).join(", ")} and ${list.length - shown} more`;
}

/** An edit as the risk from edits alone reads it (the approval engine's PolicyEdit fits). */
export type RiskEdit = Pick<ImpactEdit, "policy" | "kind" | "tier" | "loosensConstraint">;

/**
 * The part of a change's risk that its edits alone decide (tiers touched, constraints loosened or
 * tightened): no evaluation, so the review queue can rate a change whose impact is not computed
 * yet. The impact's risk always includes these reasons, so it is never lower.
 */
export function editRiskReasons(edits: readonly RiskEdit[]): RiskReason[] {
  const reasons: RiskReason[] = [];
  const touched = new Set(edits.filter((e) => e.kind === "Policy").map((e) => e.tier));
  const policiesIn = (tier: string) => edits.filter((e) => e.kind === "Policy" && e.tier === tier).map((e) => e.policy);
  for (const tier of TIERS.filter((t) => touched.has(t))) {
    const names = policiesIn(tier);
    const level: RiskLevel = tier === "global" || tier === "regional" ? "high" : tier === "namespace" ? "low" : "medium";
    reasons.push({ level, text: `touches the ${tier} tier (${some(names)})` });
  }
  const constraints = edits.filter((e) => e.kind === "ComplianceConstraint");
  const loosened = constraints.filter((c) => c.loosensConstraint).map((c) => c.policy);
  if (loosened.length) reasons.push({ level: "critical", text: `loosens compliance constraint ${some(loosened)}` });
  const tightened = constraints.filter((c) => !c.loosensConstraint).map((c) => c.policy);
  if (tightened.length) reasons.push({ level: "medium", text: `adds or tightens compliance constraint ${some(tightened)}` });
  for (const e of edits.filter((x) => x.kind === "PlatformDefault"))
    reasons.push(
      e.loosensConstraint
        ? {
            level: "critical",
            text: "loosens the platform default: what no policy decides is allowed where it was denied, in every cluster",
          }
        : { level: "high", text: "changes the platform default, which every cluster gets" },
    );
  return reasons;
}

/** A risk level and its reasons, most serious first (the level is the highest reason's). */
export function riskOf(reasons: readonly RiskReason[]): ChangeImpact["risk"] {
  const sorted = [...reasons].sort((a, b) => RANK[b.level] - RANK[a.level]);
  return { level: maxLevel(sorted.map((r) => r.level)), reasons: sorted };
}

function riskReasons(impact: Omit<ChangeImpact, "risk">, edits: readonly ImpactEdit[]): RiskReason[] {
  const reasons: RiskReason[] = editRiskReasons(edits);
  const added = impact.clusters.flatMap((c) => c.added.map((p) => ({ cluster: c.cluster, p })));
  for (const kind of ["world", "critical", "high"] as const) {
    const opened = added.filter(({ p }) => p.destination?.criticality === kind).map(({ cluster, p }) => `${p.label} in ${cluster}`);
    if (opened.length === 0) continue;
    const what = kind === "world" ? "to world" : `to ${kind === "critical" ? "a critical" : "a high-criticality"} service`;
    reasons.push({ level: OPENED_TO[kind], text: `opens ${opened.length} path(s) ${what}: ${some(opened)}` });
  }
  if (impact.totals.added > 0) reasons.push({ level: "low", text: `adds ${impact.totals.added} path(s)` });
  if (impact.totals.removed > 0)
    reasons.push({ level: "medium", text: `removes ${impact.totals.removed} path(s): traffic allowed today will be denied` });
  if (impact.totals.newlyDefaultDenied > 0)
    reasons.push({
      level: "medium",
      text: `puts ${impact.totals.newlyDefaultDenied} workload direction(s) newly under default deny: what no rule allows stops`,
    });
  return reasons;
}

/** The impact of a change: `input.graph` is the release with the change overlaid. */
export function computeImpact(input: ImpactInput): ChangeImpact {
  const { graph } = input;
  let budget = input.maxRationales ?? 200;
  const byCluster = new Map<string, OverlayPath[]>();
  for (const p of graph.paths) byCluster.set(p.cluster, [...(byCluster.get(p.cluster) ?? []), p]);
  const targets = new Map(graph.data.edges.map((e) => [e.id, e.target]));
  const clusters: ClusterImpact[] = graph.clusters.map((cluster) => {
    const paths = byCluster.get(cluster) ?? [];
    let withoutRationale = 0;
    const explained = paths.map((p): ImpactPath => {
      const destination = destinationOf(targets.get(p.edgeId) ?? "", input.criticality);
      const base: ImpactPath = {
        edgeId: p.edgeId,
        change: p.change,
        label: p.label,
        ports: p.ports,
        ...(destination ? { destination } : {}),
      };
      if (budget <= 0) {
        withoutRationale++;
        return base;
      }
      budget--;
      const r = edgeRationale(graph, p.edgeId, input.time);
      const ports = (r?.ports ?? []).filter((x) => p.ports.includes(x.port));
      return { ...base, rationale: ports.map((x) => portRationale(x.port, p.change, x.current, x.proposed)) };
    });
    const base = graph.base.find((s) => s.cluster === cluster);
    const proposal = graph.proposal?.find((s) => s.cluster === cluster);
    const deny = base && proposal ? defaultDenyChanges(base, proposal) : { newly: [], noLonger: [] };
    return {
      cluster,
      added: explained.filter((p) => p.change === "added"),
      removed: explained.filter((p) => p.change === "removed"),
      newlyDefaultDenied: deny.newly,
      noLongerDefaultDenied: deny.noLonger,
      withoutRationale,
    };
  });
  const touched = new Set(input.edits.filter((e) => e.kind === "Policy").map((e) => e.tier));
  const tiers = TIERS.filter((t) => touched.has(t));
  const partial: Omit<ChangeImpact, "risk"> = {
    clusters,
    tiers,
    constraints: input.edits
      .filter((e) => e.kind === "ComplianceConstraint")
      .map((e) => ({
        name: e.policy,
        change: e.fromVersion === null ? ("new" as const) : ("edited" as const),
        loosens: e.loosensConstraint,
      })),
    warnings: graph.warnings,
    totals: {
      added: clusters.reduce((s, c) => s + c.added.length, 0),
      removed: clusters.reduce((s, c) => s + c.removed.length, 0),
      newlyDefaultDenied: clusters.reduce((s, c) => s + c.newlyDefaultDenied.length, 0),
    },
  };
  return { risk: riskOf([...(input.extraReasons ?? []), ...riskReasons(partial, input.edits)]), ...partial };
}
