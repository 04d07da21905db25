import "server-only";
// The outgoing webhook's outbox: an event is queued in the transaction that
// records it, so a crash between the event and its delivery loses nothing.
import { eq } from "drizzle-orm";
import type { Queryable } from "@/db/client";
import { webhookDeliveries, webhookEndpoint } from "@/db/schema";

export interface WebhookEvent {
  /** What happened: a notification kind, or "test". */
  event: string;
  /** One line for people (Slack shows it as the message). */
  text: string;
  /** Where it is in the console (a path; the delivery adds the console's origin when it knows it). */
  href: string;
  actor: string;
  changeRequest?: number;
  release?: number;
}

/** Queues `event` when the webhook is configured and enabled; does nothing otherwise. */
export async function enqueueWebhook(db: Queryable, event: WebhookEvent): Promise<string | null> {
  const [endpoint] = await db.select({ enabled: webhookEndpoint.enabled }).from(webhookEndpoint).where(eq(webhookEndpoint.id, 1));
  if (!endpoint?.enabled) return null;
  const [row] = await db
    .insert(webhookDeliveries)
    .values({ event: event.event, payload: { ...event, at: new Date().toISOString() } })
    .returning({ id: webhookDeliveries.id });
  return row!.id;
}
