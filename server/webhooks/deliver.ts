import "server-only";
// Delivery of the outbox, off the request path: due rows are leased (so two
// workers or replicas never post the same row at once), posted with an HMAC
// signature, and each attempt is logged. A failure schedules a retry with
// exponential backoff; after the last attempt the delivery is marked failed.
import { createHmac } from "node:crypto";
import { and, asc, eq, inArray, isNull, lt, lte, or } from "drizzle-orm";
import type { Database } from "@/db/client";
import { webhookAttempts, webhookDeliveries, webhookEndpoint } from "@/db/schema";

export interface DeliveryOptions {
  /** The clock (tests move it forward instead of sleeping). */
  now?: () => Date;
  /** The console's public origin (BETTER_AUTH_URL), to turn each event's path into a link. */
  origin?: string;
  /** Delay before retry n (1-based) is firstRetryMs × 2^(n-1), at most maxRetryMs. */
  firstRetryMs?: number;
  maxRetryMs?: number;
  /** Attempts in all before a delivery is marked failed. */
  maxAttempts?: number;
  timeoutMs?: number;
  /** Rows leased per run. */
  batch?: number;
}

const DEFAULTS = { firstRetryMs: 15_000, maxRetryMs: 3_600_000, maxAttempts: 8, timeoutMs: 10_000, batch: 20 };
/** Long enough for one attempt to time out; a worker that crashed mid-post frees its rows after it. */
const leaseMs = (timeoutMs: number) => timeoutMs * 3;

export const WEBHOOK_SIGNATURE_HEADER = "x-policyplane-signature";

/** `t=<unix seconds>,v1=<hex HMAC-SHA-256 of "<t>.<body>">`: the receiver recomputes it with the shared secret. */
export function webhookSignature(secret: string, body: string, at: Date): string {
  const t = Math.floor(at.getTime() / 1000);
  return `t=${t},v1=${createHmac("sha256", secret).update(`${t}.${body}`).digest("hex")}`;
}

export function retryDelayMs(attempt: number, options: Pick<DeliveryOptions, "firstRetryMs" | "maxRetryMs"> = {}): number {
  const first = options.firstRetryMs ?? DEFAULTS.firstRetryMs;
  return Math.min(first * 2 ** (attempt - 1), options.maxRetryMs ?? DEFAULTS.maxRetryMs);
}

/** The JSON posted: the queued event, its link, and a Slack-compatible `text`. */
function bodyOf(delivery: typeof webhookDeliveries.$inferSelect, origin: string | undefined): string {
  const payload = delivery.payload as { text?: string; href?: string };
  const url = origin && payload.href ? new URL(payload.href, origin).toString() : undefined;
  return JSON.stringify({
    id: delivery.id,
    ...payload,
    ...(url ? { url, text: `${payload.text} <${url}|open in Policyplane>` } : {}),
  });
}

async function post(url: string, body: string, headers: Record<string, string>, timeoutMs: number) {
  const started = performance.now();
  try {
    const response = await fetch(url, {
      method: "POST",
      body,
      headers: { "content-type": "application/json", "user-agent": "Policyplane-Webhook", ...headers },
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.body?.cancel();
    const ok = response.status >= 200 && response.status < 300;
    return { status: response.status, error: ok ? null : `HTTP ${response.status}`, ms: performance.now() - started };
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const reason =
      (error as Error).name === "TimeoutError"
        ? `no answer within ${timeoutMs} ms`
        : (cause?.code ?? cause?.message ?? (error as Error).message);
    return { status: null, error: reason, ms: performance.now() - started };
  }
}

/**
 * Posts every due delivery once (a run of the worker). Returns how many were attempted.
 * Nothing is posted while the webhook is disabled; queued rows wait.
 */
export async function deliverDueWebhooks(db: Database, options: DeliveryOptions = {}): Promise<number> {
  const o = { ...DEFAULTS, ...options };
  const now = (options.now ?? (() => new Date()))();
  const [endpoint] = await db.select().from(webhookEndpoint).where(eq(webhookEndpoint.id, 1));
  if (!endpoint?.enabled) return 0;
  const leased = await db.transaction(async (tx) => {
    const due = await tx
      .select({ id: webhookDeliveries.id })
      .from(webhookDeliveries)
      .where(
        and(
          eq(webhookDeliveries.state, "pending"),
          lte(webhookDeliveries.nextAttemptAt, now),
          or(isNull(webhookDeliveries.leasedUntil), lt(webhookDeliveries.leasedUntil, now)),
        ),
      )
      .orderBy(asc(webhookDeliveries.nextAttemptAt))
      .limit(o.batch)
      .for("update", { skipLocked: true });
    if (due.length === 0) return [];
    return tx
      .update(webhookDeliveries)
      .set({ leasedUntil: new Date(now.getTime() + leaseMs(o.timeoutMs)) })
      .where(
        inArray(
          webhookDeliveries.id,
          due.map((d) => d.id),
        ),
      )
      .returning();
  });
  for (const delivery of leased) {
    const body = bodyOf(delivery, o.origin);
    const attempt = delivery.attempts + 1;
    const result = await post(
      endpoint.url,
      body,
      {
        [WEBHOOK_SIGNATURE_HEADER]: webhookSignature(endpoint.secret, body, now),
        "x-policyplane-event": delivery.event,
        "x-policyplane-delivery": delivery.id,
      },
      o.timeoutMs,
    );
    const at = (options.now ?? (() => new Date()))();
    const done = result.error === null;
    await db.transaction(async (tx) => {
      await tx.insert(webhookAttempts).values({
        deliveryId: delivery.id,
        attempt,
        at,
        url: endpoint.url,
        status: result.status,
        error: result.error,
        durationMs: Math.round(result.ms),
      });
      await tx
        .update(webhookDeliveries)
        .set({
          attempts: attempt,
          leasedUntil: null,
          state: done ? "delivered" : attempt >= o.maxAttempts ? "failed" : "pending",
          deliveredAt: done ? at : null,
          nextAttemptAt: done || attempt >= o.maxAttempts ? delivery.nextAttemptAt : new Date(at.getTime() + retryDelayMs(attempt, o)),
        })
        .where(eq(webhookDeliveries.id, delivery.id));
    });
  }
  return leased.length;
}

/** Runs the delivery every `everyMs` in this process; returns how to stop. Failures are logged, never thrown. */
export function scheduleWebhookDelivery(
  db: Database,
  options: DeliveryOptions & { everyMs?: number },
  log: (message: string, error?: unknown) => void,
): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    deliverDueWebhooks(db, options)
      .catch((error: unknown) => log("could not deliver webhooks", error))
      .finally(() => {
        running = false;
      });
  }, options.everyMs ?? 2000);
  timer.unref();
  return () => clearInterval(timer);
}
