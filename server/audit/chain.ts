// Keyed hash chain over audit events: each event's hash is an HMAC, under a key
// kept outside the database, of its own content and the previous event's hash.
// Editing, deleting or reordering any event breaks every hash after it, and
// without the key nobody can compute a replacement chain. Signed checkpoints of
// the head, exported outside the database, reveal a cut-off tail. Pure code: no
// database or files here.
import { createHash, hash } from "node:crypto";
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

/** What the sequential pass over the chain needs of an event once its own hash is checked. */
export interface ChainLink {
  seq: number;
  keyId: string | null;
  prevHash: string;
  hash: string;
}

export interface ChainedEvent extends ChainedEventContent {
  seq: number;
  prevHash: string;
  hash: string;
}

/**
 * The canonical JSON of an event's content (canonicalJson of its fields, keyId included when
 * given), written field by field in sorted key order: verification hashes every event, and
 * this is several times faster than sorting the same fourteen keys for each one.
 */
export function canonicalEventBody(content: ChainedEventContent, keyId?: string): string {
  const s = JSON.stringify;
  const nullable = (v: string | null) => (v === null ? "null" : s(v));
  return (
    `{"action":${s(content.action)},"actorId":${nullable(content.actorId)},"actorLabel":${s(content.actorLabel)},` +
    `"actorType":${s(content.actorType)},"after":${canonicalJson(content.after)},"at":${s(content.at.toISOString())},` +
    `"before":${canonicalJson(content.before)},"id":${s(content.id)},${keyId === undefined ? "" : `"keyId":${s(keyId)},`}` +
    `"requestId":${s(content.requestId)},"targetId":${s(content.targetId)},"targetLabel":${s(content.targetLabel)},` +
    `"targetType":${s(content.targetType)},"tenantId":${nullable(content.tenantId)}}`
  );
}

/**
 * HMAC-SHA-256 (RFC 2104) as two one-shot SHA-256 calls over reused buffers: the key's padded
 * blocks are made once per key, and no hash object is created per event (verification runs this
 * a million times).
 */
export const HMAC_BLOCK = 64;
const BLOCK = HMAC_BLOCK;
const hmacPads = new Map<string, HmacPads>();

/**
 * A key's HMAC pads, made once per key: `inner` is the key XOR ipad (one block, the message follows it),
 * `outer` the key XOR opad followed by room for the inner digest (BLOCK + 32 bytes, rewritten per call).
 */
export interface HmacPads {
  inner: Buffer;
  outer: Buffer;
}

export function hmacPadsOf(secret: string): HmacPads {
  let pads = hmacPads.get(secret);
  if (!pads) {
    let key = Buffer.from(secret);
    if (key.length > BLOCK) key = createHash("sha256").update(key).digest();
    const pad = (byte: number) => Buffer.from(Array.from({ length: BLOCK }, (_, i) => (key[i] ?? 0) ^ byte));
    pads = { inner: pad(0x36), outer: Buffer.concat([pad(0x5c), Buffer.alloc(32)]) };
    hmacPads.set(secret, pads);
  }
  return pads;
}

let scratch = Buffer.alloc(64 * 1024);
function hmacHex(secret: string, message: string): string {
  const pads = hmacPadsOf(secret);
  const length = BLOCK + Buffer.byteLength(message);
  if (length > scratch.length) scratch = Buffer.alloc(length * 2);
  pads.inner.copy(scratch, 0);
  scratch.write(message, BLOCK, "utf8");
  hash("sha256", scratch.subarray(0, length), "buffer").copy(pads.outer, BLOCK);
  return hash("sha256", pads.outer, "hex");
}

/** HMAC-SHA-256 of the previous hash and the event's content (its key id included). */
export function eventHash(prevHash: string, content: ChainedEventContent, key: AuditKey): string {
  return hmacHex(key.secret, `${prevHash}\n${canonicalEventBody(content, key.id)}`);
}

/** The unkeyed SHA-256 of events written before the chain was keyed (anyone can compute it). */
export function legacyEventHash(prevHash: string, content: ChainedEventContent): string {
  return sha256Hex(prevHash, canonicalEventBody(content));
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
 * Where an earlier verification stopped, trusted as verified: events up to `seq` are
 * not re-hashed, and the walk continues from `hash` (what the Audit page does).
 */
export interface VerifiedPosition {
  seq: number;
  hash: string;
  /** The first keyed event at or before `seq` (null: none). */
  keyedSince: number | null;
}

/**
 * Checks events one at a time in ascending seq order, starting from the genesis
 * hash (or from a verified position); the first break is kept. Streaming, so a
 * long trail never sits in memory. `checkpoints` are the verified exported heads:
 * each one the walk passes must be in the chain, and the chain must reach the newest one.
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
    from?: VerifiedPosition,
  ) {
    if (from) {
      // Everything up to `from.seq` verified, unkeyed events included (a verification only passes when a checkpoint covers them).
      this.prevSeq = from.seq;
      this.prevHash = from.hash;
      this.keyedSince = from.keyedSince ?? undefined;
      this.coveredUpTo = from.seq;
    }
    this.checkpoints = new Map(checkpoints.map((c) => [c.seq, c]));
    this.newest = checkpoints.reduce<Checkpoint | undefined>((a, c) => (!a || c.seq > a.seq ? c : a), undefined);
  }

  push(event: ChainedEvent): boolean {
    // The hash is computed with the event's own prevHash: check() only asks for it once that equals the head's.
    return this.pushLink(event, () =>
      event.keyId === null ? legacyEventHash(event.prevHash, event) === event.hash : this.keyedHashHolds(event),
    );
  }

  /**
   * One event whose hash was already checked elsewhere (a worker thread): `hashHolds` says whether its
   * stored hash is the one its content and its own prevHash give (for a keyed event, under its key when
   * the keyring has it). The checks and the verdict are push()'s.
   */
  pushChecked(link: ChainLink, hashHolds: boolean): boolean {
    return this.pushLink(link, () => hashHolds);
  }

  /**
   * A run of events checked elsewhere in which nothing can fail: every event keyed with a key of the
   * keyring and its hash holding, and after the first one, seqs increasing, each event following the
   * one before it, and no checkpoint. Only the first event is checked here (its link to the head,
   * checkpoint, order); the rest advance the head to `last`.
   */
  pushRun(first: ChainLink, count: number, last: { seq: number; hash: string }): boolean {
    if (!this.pushChecked(first, true)) return false;
    this.prevHash = last.hash;
    this.prevSeq = last.seq;
    this.checked += count - 1;
    return true;
  }

  private keyedHashHolds(event: ChainedEvent): boolean {
    const key = event.keyId === null ? undefined : this.keyring.byId.get(event.keyId);
    return key !== undefined && eventHash(event.prevHash, event, key) === event.hash;
  }

  private pushLink(link: ChainLink, hashHolds: () => boolean): boolean {
    if (this.failure) return false;
    const problem = this.check(link, hashHolds);
    if (problem) {
      this.failure = { brokenAtSeq: link.seq, reason: problem };
      return false;
    }
    this.prevHash = link.hash;
    this.prevSeq = link.seq;
    this.checked++;
    return true;
  }

  private check(event: ChainLink, hashHolds: () => boolean): string | undefined {
    const n = `event #${event.seq}`;
    if (event.seq <= this.prevSeq) return `${n} is out of order after #${this.prevSeq}`;
    if (event.prevHash !== this.prevHash)
      return `${n} does not follow the previous event (an event before it was deleted, inserted or reordered)`;
    if (event.keyId === null) {
      // Anyone can compute an unkeyed hash: only the events from before the chain was keyed may have one.
      if (this.keyedSince !== undefined)
        return `${n} carries no key although the chain is keyed since #${this.keyedSince} (it was rewritten with a recomputed unkeyed hash)`;
      if (!hashHolds()) return `${n} was modified after it was written`;
      this.lastUnkeyedSeq = event.seq;
    } else {
      if (!this.keyring.byId.has(event.keyId))
        return `${n} is sealed with key ${event.keyId}, which is neither AUDIT_KEY nor one of AUDIT_PREVIOUS_KEYS (a forged chain, or a retired key left out)`;
      if (!hashHolds()) return `${n} was modified after it was written`;
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

  /** The first keyed event seen so far (to resume from this verifier's head later). */
  get firstKeyedSeq(): number | null {
    return this.keyedSince ?? null;
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
