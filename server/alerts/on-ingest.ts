import "server-only";
// Alert rules evaluated on ingestion (issue 17 item 7): after a flow batch commits,
// the rules it can affect are evaluated at once, so "a critical service received a
// denied flow" fires within seconds rather than at the next timer run. Debounced:
// batches arriving meanwhile are folded together, and a rule is evaluated at most
// once per `minIntervalMs` in this process, however many batches a stream sends.
// The timer (./evaluate.ts scheduleAlertEvaluation) stays the backstop: a failed or
// skipped evaluation here is caught by its next run, and several replicas are safe
// for the same reasons (one advisory lock, one open alert per rule and key).
import { eq } from "drizzle-orm";
import type { Database } from "@/db/client";
import { alertRules, type AlertRuleRow } from "@/db/schema";
import { SEVERITY_RANK, type FlowClass, type Severity } from "@/lib/flows";
import { perProcess } from "@/server/lib/per-process";
import { evaluateAlerts } from "./evaluate";

/** One kind of path a batch wrote, with what rules filter on. */
export interface TouchedFlows {
  cluster: string;
  flowClass: FlowClass;
  severity: Severity | null;
  destinationCriticality: string | null;
}

/** The class of flows a rule counts. */
export function ruleFlowClass(rule: Pick<AlertRuleRow, "kind" | "params">): Exclude<FlowClass, "allowed"> {
  if (rule.kind === "threshold") return rule.params.flowClass ?? "violation";
  return rule.kind === "new-denied-path" ? "violation" : "enforcement-gap";
}

/** Whether flows like `t` count for `rule` (its cluster, class, destination criticality and least severity). */
export function ruleCanBeAffected(rule: Pick<AlertRuleRow, "kind" | "params">, t: TouchedFlows): boolean {
  const p = rule.params;
  if (p.cluster !== undefined && p.cluster !== t.cluster) return false;
  if (t.flowClass !== ruleFlowClass(rule)) return false;
  if (p.destinationCriticality !== undefined && p.destinationCriticality !== t.destinationCriticality) return false;
  if (p.minSeverity !== undefined && (t.severity === null || SEVERITY_RANK[t.severity] < SEVERITY_RANK[p.minSeverity])) return false;
  return true;
}

export interface IngestAlertOptions {
  /** A rule is evaluated at most once per this many milliseconds in this process. */
  minIntervalMs: number;
  log: (message: string, error?: unknown) => void;
  now?: () => number;
}

/** Triggers of this process with an evaluation waiting or under way: what stopIngestAlerts stops. */
const busy = perProcess("IngestAlertsBusy", () => new Set<IngestAlertTrigger>());

/**
 * Stops every trigger of this process: evaluations waiting are dropped (the timer's next run catches
 * their rules) and those under way finish. For a server shutting down, and for tests before their
 * database closes. A later batch starts a trigger again.
 */
export async function stopIngestAlerts(): Promise<void> {
  // Until none is busy: a trigger may take a batch noted while the others stop.
  while (busy().size > 0) await Promise.all([...busy()].map((trigger) => trigger.stop()));
}

export class IngestAlertTrigger {
  private pending = new Map<string, TouchedFlows>();
  /** Rules found affected but evaluated too recently: their turn comes when the interval has passed. */
  private due = new Set<string>();
  private readonly lastRun = new Map<string, number>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private running: Promise<void> | null = null;
  /** Resolved when the trigger is idle again (no timer, nothing running); null while idle. */
  private idle: { promise: Promise<void>; resolve: () => void } | null = null;
  private readonly runs = new Map<string, number>();
  private readonly now: () => number;

  constructor(
    private readonly getDb: () => Promise<Database>,
    private readonly options: IngestAlertOptions,
  ) {
    if (!(options.minIntervalMs > 0)) throw new RangeError("minIntervalMs must be positive");
    this.now = options.now ?? (() => performance.now());
  }

  /** A batch committed: what it wrote. Flows only allowed concern no rule. */
  noteBatch(touched: readonly TouchedFlows[]): void {
    for (const t of touched) {
      if (t.flowClass === "allowed") continue;
      this.pending.set(`${t.cluster}\u0001${t.flowClass}\u0001${t.severity}\u0001${t.destinationCriticality}`, t);
    }
    this.schedule();
  }

  /** Evaluations run per rule id (what the debounce allowed through). */
  evaluations(ruleId: string): number {
    return this.runs.get(ruleId) ?? 0;
  }

  /** Resolves when nothing is pending or running: every batch noted so far has been evaluated (tests). */
  settled(): Promise<void> {
    return this.idle?.promise ?? Promise.resolve();
  }

  /**
   * Drops what waits (batches not evaluated yet, rules due later: the timer's next run catches them)
   * and resolves when the evaluation under way, if any, has finished. A later batch starts it again.
   */
  async stop(): Promise<void> {
    for (;;) {
      this.pending.clear();
      this.due.clear();
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      if (!this.running) break;
      // It may find rules due and set a timer again as it ends: the next turn drops them.
      await this.running;
    }
    this.becomeIdle();
  }

  private schedule(): void {
    if (this.timer || this.running) return;
    if (this.pending.size === 0 && this.due.size === 0) return this.becomeIdle();
    const now = this.now();
    // The soonest a rule due already may run again (0: at once).
    let wait = 0;
    if (this.pending.size === 0)
      wait = Math.min(...[...this.due].map((id) => (this.lastRun.get(id) ?? -Infinity) + this.options.minIntervalMs - now));
    this.timer = setTimeout(() => this.flush(), Math.max(0, wait));
    this.timer.unref?.();
    if (!this.idle) {
      let resolve = () => {};
      const promise = new Promise<void>((r) => (resolve = r));
      this.idle = { promise, resolve };
      busy().add(this);
    }
  }

  private becomeIdle(): void {
    busy().delete(this);
    this.idle?.resolve();
    this.idle = null;
  }

  private flush(): void {
    this.timer = null;
    this.running = this.evaluate()
      .catch((error: unknown) => this.options.log("could not evaluate alerts after a flow batch", error))
      .finally(() => {
        this.running = null;
        this.schedule();
      });
  }

  private async evaluate(): Promise<void> {
    const touched = [...this.pending.values()];
    this.pending = new Map();
    const db = await this.getDb();
    if (touched.length > 0) {
      const rules = await db.select().from(alertRules).where(eq(alertRules.enabled, true));
      for (const rule of rules) if (touched.some((t) => ruleCanBeAffected(rule, t))) this.due.add(rule.id);
    }
    const now = this.now();
    const ready = [...this.due].filter((id) => (this.lastRun.get(id) ?? -Infinity) + this.options.minIntervalMs <= now);
    if (ready.length === 0) return;
    for (const id of ready) {
      this.due.delete(id);
      this.lastRun.set(id, now);
      this.runs.set(id, (this.runs.get(id) ?? 0) + 1);
    }
    const { fired } = await evaluateAlerts(db, undefined, { ruleIds: ready });
    if (fired.length > 0) this.options.log(`alerts: ${fired.length} fired after a flow batch`);
  }
}
