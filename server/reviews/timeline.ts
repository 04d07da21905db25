import "server-only";
// A change request's timeline, built from what is already recorded: its audit events (proposed,
// edited, approvals and the approvals an edit voided, state changes, comments, the release) and the
// events of its release (roll-out steps as they are recorded). Oldest first, in the chain's order.
import { and, asc, eq, inArray, or } from "drizzle-orm";
import { auditEvents, releases } from "@/db/schema";
import type { ServiceContext } from "@/server/context";
import { findChange } from "@/server/workflow/review";
import type { TimelineInput } from "./schemas";

export type TimelineKind = "proposed" | "edited" | "approval" | "approval-voided" | "state" | "comment" | "release";

export interface TimelineEntry {
  at: Date;
  kind: TimelineKind;
  actor: string;
  summary: string;
  /** The reason or comment text, when there is one. */
  detail: string | null;
  /** For a state change: the state it moved to. */
  state: string | null;
}

/** How the timeline words a change's state moves (server/workflow/states.ts names the actions). */
const STATE_VERBS: Record<string, string> = {
  submit: "submitted it for review",
  resubmit: "resubmitted it",
  "request-changes": "requested changes",
  reject: "rejected it",
  withdraw: "withdrew it",
  approve: "gave the last approval the rules need",
  "roll-out": "marked it rolled out",
};

const short = (hash: unknown) => (typeof hash === "string" ? hash.slice(0, 12) : "?");

/** One audit event as timeline entries (an edit also lists the approvals it voided). */
export function timelineEntries(event: Parameters<typeof timelineEntry>[0]): TimelineEntry[] {
  const entry = timelineEntry(event);
  if (!entry) return [];
  const after = (event.after ?? {}) as Record<string, unknown>;
  const voided = event.action === "change.edit" && Array.isArray(after.voidedApprovals) ? (after.voidedApprovals as string[]) : [];
  return [
    entry,
    ...voided.map((by) => ({
      ...entry,
      kind: "approval-voided" as const,
      actor: by,
      state: null,
      summary: `${by}'s approval voided: the content changed`,
    })),
  ];
}

/** One audit event as a timeline entry (null: not part of the change's story). */
function timelineEntry(event: {
  at: Date;
  action: string;
  actorLabel: string;
  before: unknown;
  after: unknown;
  targetLabel: string;
}): TimelineEntry | null {
  const after = (event.after ?? {}) as Record<string, unknown>;
  const before = (event.before ?? {}) as Record<string, unknown>;
  const base = { at: event.at, actor: event.actorLabel, detail: null, state: null };
  const reason = typeof after.reason === "string" && after.reason ? after.reason : null;
  const moved = after.state !== undefined && after.state !== before.state ? String(after.state) : null;
  switch (event.action) {
    case "change.proposed": {
      const items = Array.isArray(after.items) ? after.items.length : 0;
      return {
        ...base,
        kind: "proposed",
        summary: `proposed ${items} ${items === 1 ? "policy" : "policies"} (content ${short(after.contentHash)})`,
      };
    }
    case "change.edit": {
      const voided = Array.isArray(after.voidedApprovals) ? (after.voidedApprovals as string[]) : [];
      const changed = after.contentHash !== before.contentHash;
      const rebased = Array.isArray(after.rebased) ? (after.rebased as { policy: string; onto: number | null; resolvedBy: string }[]) : [];
      const voiding = voided.length ? `, voiding ${voided.length} approval${voided.length > 1 ? "s" : ""}` : "";
      if (rebased.length > 0)
        return {
          ...base,
          kind: "edited",
          state: moved,
          summary: `rebased onto the current release (${rebased
            .map(
              (r) =>
                `${r.policy} onto ${r.onto === null ? "its removal" : `v${r.onto}`}, ${r.resolvedBy === "author" ? "conflicts resolved by hand" : "merged"}`,
            )
            .join("; ")})${voiding}${moved ? `; back to ${moved}` : ""}`,
        };
      if (typeof after.staged === "boolean")
        return {
          ...base,
          kind: "edited",
          state: moved,
          summary: `${after.staged ? "marked it staged (released audit-only, never enforced)" : "marked it enforced"} (${short(before.contentHash)} → ${short(after.contentHash)})${voiding}${moved ? `; back to ${moved}` : ""}`,
        };
      return {
        ...base,
        kind: "edited",
        state: moved,
        summary: changed
          ? `edited the content (${short(before.contentHash)} → ${short(after.contentHash)})${voiding}${moved ? `; back to ${moved}` : ""}`
          : "edited the title or description",
      };
    }
    case "change.approval_given": {
      const fns = Array.isArray(after.functions) ? (after.functions as string[]).join(", ") : "";
      return {
        ...base,
        kind: "approval",
        detail: (after.comment as string) || null,
        summary: `approved content ${short(after.contentHash)} (${fns})`,
      };
    }
    case "change.commented": {
      const anchor = after.anchor as { policyName: string; side: string; line: number } | null;
      return {
        ...base,
        kind: "comment",
        detail: typeof after.body === "string" ? after.body : null,
        summary: anchor ? `commented on ${anchor.policyName} (${anchor.side}) line ${anchor.line}` : "commented",
      };
    }
    case "change.release":
    case "change.emergency-release":
      return {
        ...base,
        kind: "release",
        state: moved,
        detail: reason,
        summary: `released it as release ${String(after.release)}${event.action === "change.emergency-release" ? " through the emergency rule" : ""}`,
      };
    case "release.created":
      return null; // the change's own release event says it, with its state
    default:
      if (event.action.startsWith("change.")) {
        const action = event.action.slice("change.".length);
        const verb = STATE_VERBS[action] ?? action.replace(/-/g, " ");
        return { ...base, kind: "state", state: moved, detail: reason, summary: moved ? `${verb} → ${moved}` : verb };
      }
      // Events of the change's release (roll-out waves, cluster status) as they are recorded.
      return { ...base, kind: "release", summary: `${event.targetLabel}: ${event.action}` };
  }
}

export async function changeTimeline({ ctx, input }: { ctx: ServiceContext; input: TimelineInput }): Promise<TimelineEntry[]> {
  const { cr } = await findChange(ctx.db, ctx.actor, input.number);
  const released = await ctx.db.select({ id: releases.id }).from(releases).where(eq(releases.changeRequestId, cr.id));
  const events = await ctx.db
    .select({
      at: auditEvents.at,
      action: auditEvents.action,
      actorLabel: auditEvents.actorLabel,
      before: auditEvents.before,
      after: auditEvents.after,
      targetLabel: auditEvents.targetLabel,
    })
    .from(auditEvents)
    .where(
      or(
        and(eq(auditEvents.targetType, "change_request"), eq(auditEvents.targetId, cr.id)),
        released.length
          ? and(
              eq(auditEvents.targetType, "release"),
              inArray(
                auditEvents.targetId,
                released.map((r) => r.id),
              ),
            )
          : undefined,
      ),
    )
    .orderBy(asc(auditEvents.seq));
  return events.flatMap(timelineEntries);
}
