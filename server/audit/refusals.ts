import "server-only";
// Refused mutations are part of the trail: who tried what, and why the server
// said no. Each refusal is its own event in its own transaction (the refused
// change wrote nothing), so the trail shows attempts as well as changes.
import { withTransaction, type ServiceContext } from "@/server/context";
import { recordAudit } from "./record";

/** The answers that mean "the server said no" (not a fault of the server, not an unknown caller). */
const REFUSALS = new Set(["FORBIDDEN", "BAD_REQUEST", "NOT_FOUND", "CONFLICT", "PAYLOAD_TOO_LARGE"]);
const MAX_MESSAGE = 500;

/** Text as jsonb can store it: a NUL or a lone surrogate (which the refusal may be about) becomes U+FFFD. */
function storable(text: string): string {
  return text.replace(/\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD");
}

export interface Refusal {
  /** The procedure refused, such as `settings.createUser`. */
  procedure: string;
  code: string;
  message: string;
}

/**
 * Records a refusal as `mutation.refused`. Returns whether it was recorded: answers that are
 * not refusals are skipped, and a failure to record is logged, never put in place of the refusal.
 */
export async function recordRefusal(ctx: Omit<ServiceContext, "inTransaction">, refusal: Refusal): Promise<boolean> {
  if (!REFUSALS.has(refusal.code)) return false;
  try {
    await withTransaction(ctx, (tx) =>
      recordAudit(tx, {
        action: "mutation.refused",
        targetType: "procedure",
        targetId: refusal.procedure,
        after: { code: refusal.code, message: storable(refusal.message.slice(0, MAX_MESSAGE)) },
      }),
    );
    return true;
  } catch (error) {
    console.error(`[audit] could not record the refusal of ${refusal.procedure} (request ${ctx.requestId})`, error);
    return false;
  }
}
