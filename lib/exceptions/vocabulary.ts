// The exception vocabulary, shared by the console and the server.
export const EXCEPTION_STATES = ["requested", "approved", "rejected", "revoked", "expired"] as const;
export type ExceptionState = (typeof EXCEPTION_STATES)[number];

export const EXCEPTION_DESTINATION_KINDS = ["workload", "service", "cidr", "dns"] as const;
export type ExceptionDestinationKind = (typeof EXCEPTION_DESTINATION_KINDS)[number];

/** Longest justification a request may carry. */
export const MAX_JUSTIFICATION = 4000;

/** How long before expiry the requester is told, in days, largest first. */
export const EXPIRY_NOTICE_DAYS = [7, 1] as const;

/** An active exception expiring within this many ms is highlighted. */
export const EXPIRING_SOON_MS = 7 * 24 * 3_600_000;

/** "3d 4h", "5h 12m", "42s": the time left until `until`, from `now` (ms). */
export function formatRemaining(untilMs: number, nowMs: number): string {
  let s = Math.max(0, Math.floor((untilMs - nowMs) / 1000));
  const d = Math.floor(s / 86_400);
  s -= d * 86_400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s}s`;
  return `${s}s`;
}
