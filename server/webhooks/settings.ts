import "server-only";
// The outgoing webhook as admins configure it in Settings, and its delivery log.
// The secret is write-only: it signs deliveries and is never sent back.
import { desc, eq, inArray } from "drizzle-orm";
import { webhookAttempts, webhookDeliveries, webhookEndpoint } from "@/db/schema";
import { recordAudit } from "@/server/audit/record";
import { requireRole } from "@/server/auth/authorize";
import { withTransaction, type ServiceContext } from "@/server/context";
import { Conflict, InvalidInput } from "@/server/errors";
import { sha256Hex } from "@/server/lib/canonical";
import { enqueueWebhook } from "./outbox";
import { MIN_WEBHOOK_SECRET, type UpdateWebhookInput } from "./schemas";

/** Who can tell two secrets apart in the audit trail without learning either. */
const fingerprint = (secret: string) => sha256Hex("policyplane webhook secret", secret).slice(0, 12);

export async function getWebhook({ ctx }: { ctx: ServiceContext }) {
  requireRole(ctx.actor, "admin");
  const [row] = await ctx.db.select().from(webhookEndpoint).where(eq(webhookEndpoint.id, 1));
  if (!row) return null;
  const { secret, ...shown } = row;
  return { ...shown, secretFingerprint: fingerprint(secret) };
}

export async function updateWebhook({ ctx, input }: { ctx: ServiceContext; input: UpdateWebhookInput }) {
  requireRole(ctx.actor, "admin");
  const newSecret = input.secret?.trim() ? input.secret.trim() : undefined;
  if (newSecret !== undefined && newSecret.length < MIN_WEBHOOK_SECRET)
    throw new InvalidInput(`The signing secret needs at least ${MIN_WEBHOOK_SECRET} characters.`, "secret");
  return withTransaction(ctx, async (tx) => {
    const [current] = await tx.db.select().from(webhookEndpoint).where(eq(webhookEndpoint.id, 1)).for("update");
    const secret = newSecret ?? current?.secret;
    if (!secret) throw new InvalidInput("Set a signing secret: receivers check each delivery's signature with it.", "secret");
    const values = { url: input.url, secret, enabled: input.enabled, updatedByLabel: ctx.actor.label, updatedAt: new Date() };
    await tx.db
      .insert(webhookEndpoint)
      .values({ id: 1, ...values })
      .onConflictDoUpdate({ target: webhookEndpoint.id, set: values });
    const shown = (w: { url: string; enabled: boolean; secret: string }) => ({
      url: w.url,
      enabled: w.enabled,
      secretFingerprint: fingerprint(w.secret),
    });
    await recordAudit(tx, {
      action: "webhook.updated",
      targetType: "webhook",
      targetId: "webhook",
      targetLabel: "outgoing webhook",
      before: current ? shown(current) : null,
      after: shown(values),
    });
    return { url: values.url, enabled: values.enabled, secretFingerprint: fingerprint(secret) };
  });
}

/** Queues a test event (the next delivery run posts it), so an admin sees the endpoint answer in the log. */
export async function sendTestWebhook({ ctx }: { ctx: ServiceContext }) {
  requireRole(ctx.actor, "admin");
  return withTransaction(ctx, async (tx) => {
    const id = await enqueueWebhook(tx.db, {
      event: "test",
      text: `Test event from Policyplane, sent by ${ctx.actor.label}`,
      href: "/settings",
      actor: ctx.actor.label,
    });
    if (!id) throw new Conflict("The webhook is not enabled: save it enabled first.");
    await recordAudit(tx, {
      action: "webhook.test_queued",
      targetType: "webhook",
      targetId: "webhook",
      targetLabel: "outgoing webhook",
      after: { delivery: id },
    });
    return { delivery: id };
  });
}

const LOG_SIZE = 25;

/** The newest deliveries with every attempt, newest first. */
export async function listWebhookDeliveries({ ctx }: { ctx: ServiceContext }) {
  requireRole(ctx.actor, "admin");
  const deliveries = await ctx.db.select().from(webhookDeliveries).orderBy(desc(webhookDeliveries.createdAt)).limit(LOG_SIZE);
  const attempts = deliveries.length
    ? await ctx.db
        .select()
        .from(webhookAttempts)
        .where(
          inArray(
            webhookAttempts.deliveryId,
            deliveries.map((d) => d.id),
          ),
        )
        .orderBy(webhookAttempts.attempt)
    : [];
  return deliveries.map((d) => ({
    id: d.id,
    event: d.event,
    text: String((d.payload as { text?: unknown }).text ?? ""),
    state: d.state,
    createdAt: d.createdAt,
    deliveredAt: d.deliveredAt,
    nextAttemptAt: d.state === "pending" ? d.nextAttemptAt : null,
    attempts: attempts
      .filter((a) => a.deliveryId === d.id)
      .map((a) => ({ attempt: a.attempt, at: a.at, status: a.status, error: a.error, durationMs: a.durationMs })),
  }));
}
