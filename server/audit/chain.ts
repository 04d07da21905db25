// Keyed hash chain over audit events: each event's hash is an HMAC, under a key
// kept outside the database, of its own content and the previous event's hash.
// Editing, deleting or reordering any event breaks every hash after it, and
// without the key nobody can compute a replacement chain. Signed checkpoints of
// the head, exported outside the database, reveal a cut-off tail. Pure code: no
// database or files here.
import { createHmac } from "node:crypto";
import { canonicalJson, sha256Hex } from "@/server/lib/canonical";
import type { AuditKey, AuditKeyring } from "./keys";

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
  /** The key that sealed the event; null only for events written before the chain was keyed. */
  keyId: string | null;
}

export interface ChainedEvent extends ChainedEventContent {
  seq: number;
  prevHash: string;
  hash: string;
}

function body(content: ChainedEventContent): Record<string, unknown> {
  return {
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
  };
}

/** HMAC-SHA-256 of the previous hash and the event's content (its key id included). */
export function eventHash(prevHash: string, content: ChainedEventContent, key: AuditKey): string {
  return createHmac("sha256", key.secret)
    .update(`${prevHash}\n${canonicalJson({ ...body(content), keyId: key.id })}`)
    .digest("hex");
}

/** The unkeyed SHA-256 of events written before the chain was keyed (anyone can compute it). */
export function legacyEventHash(prevHash: string, content: ChainedEventContent): string {
  return sha256Hex(prevHash, canonicalJson(body(content)));
}

/** A chain head as exported outside the database; its signature is checked before it gets here. */
export interface Checkpoint {
  seq: number;
  hash: string;
  at: string;
}

export type ChainVerification =
  | { ok: true; checked: number; headSeq: number; headHash: string; checkpoint: Checkpoint | null }
  | { ok: false; checked: number; brokenAtSeq: number; reason: string };

/**
 * Checks events one at a time in ascending seq order, starting from the genesis
 * hash; the first break is kept. Streaming, so a long trail never sits in memory.
 * `checkpoints` are the verified exported heads: each must be in the chain, and
 * the chain must reach the newest one.
 */
export class ChainVerifier {
  private prevHash = GENESIS_HASH;
  private prevSeq = 0;
  private checked = 0;
  private keyedSince: number | undefined;
  private lastUnkeyedSeq = 0;
  private coveredUpTo = 0;
  private failure: { brokenAtSeq: number; reason: string } | undefined;
  private readonly checkpoints: ReadonlyMap<number, Checkpoint>;
  private readonly newest: Checkpoint | undefined;

  constructor(
    private readonly keyring: AuditKeyring,
    checkpoints: readonly Checkpoint[] = [],
  ) {
    this.checkpoints = new Map(checkpoints.map((c) => [c.seq, c]));
    this.newest = checkpoints.reduce<Checkpoint | undefined>((a, c) => (!a || c.seq > a.seq ? c : a), undefined);
  }

  push(event: ChainedEvent): boolean {
    if (this.failure) return false;
    const problem = this.check(event);
    if (problem) {
      this.failure = { brokenAtSeq: event.seq, reason: problem };
      return false;
    }
    this.prevHash = event.hash;
    this.prevSeq = event.seq;
    this.checked++;
    return true;
  }

  private check(event: ChainedEvent): string | undefined {
    const n = `event #${event.seq}`;
    if (event.seq <= this.prevSeq) return `${n} is out of order after #${this.prevSeq}`;
    if (event.prevHash !== this.prevHash)
      return `${n} does not follow the previous event (an event before it was deleted, inserted or reordered)`;
    if (event.keyId === null) {
      // Anyone can compute an unkeyed hash: only the events from before the chain was keyed may have one.
      if (this.keyedSince !== undefined)
        return `${n} carries no key although the chain is keyed since #${this.keyedSince} (it was rewritten with a recomputed unkeyed hash)`;
      if (legacyEventHash(this.prevHash, event) !== event.hash) return `${n} was modified after it was written`;
      this.lastUnkeyedSeq = event.seq;
    } else {
      const key = this.keyring.byId.get(event.keyId);
      if (!key)
        return `${n} is sealed with key ${event.keyId}, which is neither AUDIT_KEY nor one of AUDIT_PREVIOUS_KEYS (a forged chain, or a retired key left out)`;
      if (eventHash(this.prevHash, event, key) !== event.hash) return `${n} was modified after it was written`;
      this.keyedSince ??= event.seq;
    }
    const checkpoint = this.checkpoints.get(event.seq);
    if (checkpoint) {
      if (checkpoint.hash !== event.hash)
        return `${n} is not the event the checkpoint of ${checkpoint.at} signed (the chain was rewritten up to here)`;
      this.coveredUpTo = event.seq;
    }
    return undefined;
  }

  result(): ChainVerification {
    if (this.failure) return { ok: false, checked: this.checked, ...this.failure };
    if (this.newest && this.newest.seq > this.prevSeq) {
      return {
        ok: false,
        checked: this.checked,
        brokenAtSeq: this.prevSeq + 1,
        reason: `the newest events were deleted: the chain ends at #${this.prevSeq}, but the checkpoint exported at ${this.newest.at} signed #${this.newest.seq} as its head`,
      };
    }
    if (this.lastUnkeyedSeq > this.coveredUpTo) {
      return {
        ok: false,
        checked: this.checked,
        brokenAtSeq: 1,
        reason: `events #1 to #${this.lastUnkeyedSeq} carry no key and no signed checkpoint covers them (they predate the keyed chain, or the chain was rewritten without a key)`,
      };
    }
    return { ok: true, checked: this.checked, headSeq: this.prevSeq, headHash: this.prevHash, checkpoint: this.newest ?? null };
  }
}

export function verifyChain(
  events: Iterable<ChainedEvent>,
  keyring: AuditKeyring,
  checkpoints: readonly Checkpoint[] = [],
): ChainVerification {
  const verifier = new ChainVerifier(keyring, checkpoints);
  for (const event of events) if (!verifier.push(event)) break;
  return verifier.result();
}
