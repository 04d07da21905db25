import "server-only";
// What the workflow tells people, written in the transaction of the event that
// causes it: a row per recipient in `notifications`, and (when the outgoing
// webhook is enabled) one delivery in its outbox. Delivery happens later, off
// the request path (server/webhooks/deliver.ts), so a dead endpoint never
// blocks or rolls back a workflow step.
import { and, eq, inArray, isNotNull } from "drizzle-orm";
import type { Queryable } from "@/db/client";
import { changeRequests, memberships, notifications, releases, type ChangeRequestState, type NotificationKind } from "@/db/schema";
import type { ServiceContext } from "@/server/context";
import { enqueueWebhook } from "@/server/webhooks/outbox";
import { grantsByUser, itemsOf, loadReview, type ChangeRequestRow } from "@/server/workflow/review";
import { mayFill } from "@/server/workflow/rules";
import type { ChangeAction } from "@/server/workflow/states";

export type NotifyEvent =
  /** A change request moved (every transition passes here, from server/workflow/transition.ts). */
  | {
      type: "change.moved";
      cr: ChangeRequestRow;
      action: ChangeAction | "hold-as-draft";
      next: ChangeRequestState;
      details: Record<string, unknown>;
    }
  /** A release reached every cluster, or failed on one (reported by the rollout). */
  | { type: "release.rolled-out"; release: number }
  | { type: "release.failed"; release: number; cluster: string; reason: string };

interface Message {
  kind: NotificationKind;
  title: string;
  href: string;
  recipients: string[];
}

const quote = (cr: Pick<ChangeRequestRow, "number" | "title">) => `#${cr.number} “${cr.title}”`;

/** What a decision on a change tells its author, by action. */
const DECIDED: Partial<Record<ChangeAction, (cr: ChangeRequestRow, by: string, details: Record<string, unknown>) => string>> = {
  approve: (cr) => `${quote(cr)} was approved: every approval it needs is given`,
  "request-changes": (cr, by, d) => `${by} requested changes to ${quote(cr)}${d.reason ? `: ${String(d.reason)}` : ""}`,
  reject: (cr, by, d) => `${by} rejected ${quote(cr)}${d.reason ? `: ${String(d.reason)}` : ""}`,
  release: (cr, by, d) => `${quote(cr)} was released as release ${String(d.release)} by ${by}`,
  "emergency-release": (cr, by, d) => `${quote(cr)} was released through the emergency rule as release ${String(d.release)} by ${by}`,
};

/** Whether this move asks reviewers for (new) approvals: a change entering review, or edited in review so approvals were voided. */
function wantsApprovals(action: NotifyEvent & { type: "change.moved" }): boolean {
  if (action.next !== "in-review") return false;
  if (action.action === "submit" || action.action === "resubmit") return true;
  return action.action === "edit" && Array.isArray(action.details.voidedApprovals) && action.details.voidedApprovals.length > 0;
}

/**
 * The people a committee function is asked of: approvers (and admins) whose grants fill a slot
 * still open, never the change's authors, nor someone whose approval already stands.
 */
async function approversWanted(db: Queryable, changeRequestId: string): Promise<{ userId: string; functions: string[] }[]> {
  const [cr] = await db.select().from(changeRequests).where(eq(changeRequests.id, changeRequestId));
  if (!cr) return [];
  const review = await loadReview(db, cr, await itemsOf(db, cr.id));
  const open = review.evaluation.rules.flatMap((r) => r.required).filter((slot) => slot.givenBy.length < slot.count);
  if (open.length === 0) return [];
  const approved = new Set(
    review.approvals.filter((a) => a.voidedAt === null && a.contentHash === cr.contentHash).map((a) => a.approverId),
  );
  const grants = await grantsByUser(db, and(inArray(memberships.role, ["approver", "admin"]), isNotNull(memberships.committeeFunction)));
  return [...grants]
    .filter(([userId]) => !review.authorIds.has(userId) && !approved.has(userId))
    .map(([userId, held]) => ({ userId, functions: [...new Set(open.filter((slot) => mayFill(held, slot)).map((s) => s.function))] }))
    .filter((w) => w.functions.length > 0);
}

/** Who hears about a release: the author of the change it released and the person who released it. */
async function releaseAudience(db: Queryable, number: number): Promise<{ recipients: string[]; title: string | null }> {
  const [row] = await db
    .select({ createdById: releases.createdById, authorId: changeRequests.authorId, title: releases.title })
    .from(releases)
    .leftJoin(changeRequests, eq(changeRequests.id, releases.changeRequestId))
    .where(eq(releases.number, number));
  if (!row) return { recipients: [], title: null };
  return { recipients: [row.authorId, row.createdById].filter((id): id is string => id !== null), title: row.title };
}

/** What an event tells people, and the one line the outgoing webhook posts for it (null: nothing to post). */
interface Outcome {
  messages: Message[];
  webhook: { event: NotificationKind; text: string; href: string; changeRequest?: number; release?: number } | null;
}

async function outcomeOf(db: Queryable, event: NotifyEvent, by: string): Promise<Outcome> {
  if (event.type === "release.rolled-out" || event.type === "release.failed") {
    const { recipients, title } = await releaseAudience(db, event.release);
    const what = `Release ${event.release}${title ? ` (${title})` : ""}`;
    const href = `/releases/${event.release}`;
    const message: Message =
      event.type === "release.rolled-out"
        ? { kind: "release-rolled-out", title: `${what} rolled out to every cluster`, href, recipients }
        : { kind: "release-failed", title: `${what} failed on ${event.cluster}: ${event.reason}`, href, recipients };
    return { messages: [message], webhook: { event: message.kind, text: message.title, href, release: event.release } };
  }
  const { cr, action, details } = event;
  const href = `/changes/${cr.number}`;
  const author = cr.authorId ? [cr.authorId] : [];
  if (wantsApprovals(event)) {
    const wanted = await approversWanted(db, cr.id);
    const edited = action === "edit" ? ": it was edited, earlier approvals are void" : "";
    const ask = (functions: string) => `${quote(cr)} by ${cr.authorLabel} wants ${functions}${edited}`;
    // One message per set of functions, so each person reads what they are asked for.
    const byFunctions = new Map<string, string[]>();
    for (const w of wanted) {
      const key = w.functions.join(", ");
      byFunctions.set(key, [...(byFunctions.get(key) ?? []), w.userId]);
    }
    const all = [...new Set(wanted.flatMap((w) => w.functions))].join(", ");
    return {
      messages: [...byFunctions].map(([functions, recipients]) => ({
        kind: "approval-wanted",
        title: ask(`your approval (${functions})`),
        href,
        recipients,
      })),
      webhook: { event: "approval-wanted", text: ask(all ? `approvals (${all})` : "approvals"), href, changeRequest: cr.number },
    };
  }
  if (action === "roll-out") {
    const title = `${quote(cr)} is rolled out`;
    return {
      messages: [{ kind: "release-rolled-out", title, href, recipients: author }],
      webhook: { event: "release-rolled-out", text: title, href, changeRequest: cr.number },
    };
  }
  const decided = action === "hold-as-draft" ? undefined : DECIDED[action];
  if (!decided) return { messages: [], webhook: null };
  const title = decided(cr, by, details);
  return {
    messages: [{ kind: "change-decided", title, href, recipients: author }],
    webhook: {
      event: "change-decided",
      text: title,
      href,
      changeRequest: cr.number,
      ...(typeof details.release === "number" ? { release: details.release } : {}),
    },
  };
}

/**
 * Notifies the people an event concerns (never the person who caused it) and queues it for
 * the outgoing webhook. Call inside the event's own transaction.
 */
export async function notify(tx: ServiceContext, event: NotifyEvent): Promise<void> {
  if (!tx.inTransaction) throw new Error("notify must run inside the transaction of the event it reports");
  const { messages, webhook } = await outcomeOf(tx.db, event, tx.actor.label);
  const rows = messages.flatMap((m) =>
    [...new Set(m.recipients)]
      .filter((userId) => userId !== tx.actor.id)
      .map((userId) => ({ userId, kind: m.kind, title: m.title, href: m.href, actorLabel: tx.actor.label })),
  );
  if (rows.length > 0) await tx.db.insert(notifications).values(rows);
  if (webhook) await enqueueWebhook(tx.db, { ...webhook, actor: tx.actor.label });
}
