// Hash chain over audit events: each event's hash covers its own content and
// the previous event's hash, so editing, deleting or reordering any event
// breaks every hash after it. Pure code: no database here.
import { canonicalJson, sha256Hex } from "@/server/lib/canonical";

export const GENESIS_HASH = "0".repeat(64);

export interface ChainedEventContent {
  id: string;
  at: Date;
  actorId: string | null;
  actorLabel: string;
  actorType: "user" | "token" | "system";
  action: string;
  targetType: string;
  targetId: string;
  targetLabel: string;
  tenantId: string | null;
  before: unknown;
  after: unknown;
  requestId: string;
}

export interface ChainedEvent extends ChainedEventContent {
  seq: number;
  prevHash: string;
  hash: string;
}

export function eventHash(prevHash: string, content: ChainedEventContent): string {
  const body = canonicalJson({
    id: content.id,
    at: content.at.toISOString(),
    actorId: content.actorId,
    actorLabel: content.actorLabel,
    actorType: content.actorType,
    action: content.action,
    targetType: content.targetType,
    targetId: content.targetId,
    targetLabel: content.targetLabel,
    tenantId: content.tenantId,
    before: content.before ?? null,
    after: content.after ?? null,
    requestId: content.requestId,
  });
  return sha256Hex(prevHash, body);
}

export type ChainVerification =
  | { ok: true; checked: number; headHash: string }
  | { ok: false; checked: number; brokenAtSeq: number; reason: string };

/**
 * Checks events one at a time in ascending seq order, starting from the genesis
 * hash; the first break is kept. Streaming, so a long trail never sits in memory.
 */
export class ChainVerifier {
  private prevHash = GENESIS_HASH;
  private prevSeq = 0;
  private checked = 0;
  private failure: { brokenAtSeq: number; reason: string } | undefined;

  push(event: ChainedEvent): boolean {
    if (this.failure) return false;
    if (event.seq <= this.prevSeq) {
      this.failure = { brokenAtSeq: event.seq, reason: `event #${event.seq} is out of order after #${this.prevSeq}` };
    } else if (event.prevHash !== this.prevHash) {
      this.failure = {
        brokenAtSeq: event.seq,
        reason: `event #${event.seq} does not follow the previous event (an event before it was deleted, inserted or reordered)`,
      };
    } else if (eventHash(this.prevHash, event) !== event.hash) {
      this.failure = { brokenAtSeq: event.seq, reason: `event #${event.seq} was modified after it was written` };
    } else {
      this.prevHash = event.hash;
      this.prevSeq = event.seq;
      this.checked++;
      return true;
    }
    return false;
  }

  result(): ChainVerification {
    return this.failure ? { ok: false, checked: this.checked, ...this.failure } : { ok: true, checked: this.checked, headHash: this.prevHash };
  }
}

export function verifyChain(events: Iterable<ChainedEvent>): ChainVerification {
  const verifier = new ChainVerifier();
  for (const event of events) if (!verifier.push(event)) break;
  return verifier.result();
}
