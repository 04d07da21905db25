// Flood control for POST /api/v1/flows (issue 17, bad input): a token bucket per
// cluster and sender (API token or person) in process memory. Each batch takes one token; tokens come back at
// `perSecond` up to `burst`. A refused batch is answered 429 with Retry-After
// before its body is read, so a flood costs little and never touches batches
// already accepted (each is its own transaction). Per replica: with several
// replicas a cluster may send up to that many times the rate.
import { Busy } from "@/server/errors";

export interface FlowRate {
  /** Batches a cluster may send per second, sustained. */
  perSecond: number;
  /** Batches a cluster may send at once after a quiet spell. */
  burst: number;
}

/** Past this many clusters remembered, buckets that are full again (idle clusters, or names that never existed) are dropped. */
const MAX_BUCKETS = 10_000;

/** A refusal: the batch may be sent again after `retryAfterSeconds`. */
export class FlowRateLimited extends Busy {
  constructor(
    readonly cluster: string,
    readonly retryAfterSeconds: number,
  ) {
    super(
      `Cluster "${cluster}" is sending flow batches faster than this server accepts them: send this batch again in ${retryAfterSeconds} s.`,
    );
  }
}

export class FlowRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    readonly rate: FlowRate,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(rate.perSecond > 0) || !(rate.burst >= 1)) throw new RangeError("A flow rate needs perSecond > 0 and burst >= 1.");
  }

  /** Takes one token for `key` (a batch of `cluster`'s), or throws FlowRateLimited saying when one will be there. */
  take(key: string, cluster = key): void {
    const t = this.now();
    const b = this.buckets.get(key);
    const tokens = b ? Math.min(this.rate.burst, b.tokens + ((t - b.at) / 1000) * this.rate.perSecond) : this.rate.burst;
    if (tokens < 1) {
      this.buckets.set(key, { tokens, at: t });
      throw new FlowRateLimited(cluster, Math.max(1, Math.ceil((1 - tokens) / this.rate.perSecond)));
    }
    this.buckets.set(key, { tokens: tokens - 1, at: t });
    if (this.buckets.size > MAX_BUCKETS) this.prune(t);
  }

  private prune(t: number): void {
    for (const [key, b] of this.buckets)
      if (b.tokens + ((t - b.at) / 1000) * this.rate.perSecond >= this.rate.burst) this.buckets.delete(key);
  }
}
