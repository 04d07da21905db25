import "server-only";
// Stored, signed verified positions of the chain, so the Audit page re-hashes
// only what was appended since the last verification instead of the whole
// trail. What this trades away is said on the page: an event rewritten *before*
// the verified position (with the trigger switched off) is found by a full
// verification ("Verify everything", `npm run audit:verify`), not by a visit.
import { createHmac, timingSafeEqual } from "node:crypto";
import { desc, eq } from "drizzle-orm";
import type { Queryable } from "@/db/client";
import { auditEvents, auditVerifications } from "@/db/schema";
import { withTransaction, type ServiceContext } from "@/server/context";
import { Busy } from "@/server/errors";
import { canonicalJson } from "@/server/lib/canonical";
import { requireOrganisationReader } from "./access";
import type { ChainVerification } from "./chain";
import { readCheckpoints } from "./checkpoints";
import { auditSettings, type AuditKeyring, type AuditSettings } from "./keys";
import { untrustedCheckpoints, walkChain } from "./query";
import { recordAudit } from "./record";

type VerificationRow = typeof auditVerifications.$inferSelect;
type UnsignedVerification = Omit<VerificationRow, "id" | "keyId" | "signature">;

/** A verification the page can rely on: what was re-hashed, when, by whom. */
export interface VerificationSummary {
  seq: number;
  kind: "full" | "incremental";
  fromSeq: number;
  verifiedAt: Date;
  verifiedBy: string;
}

export type AuditChainStatus = ChainVerification & {
  verifiedAt: Date;
  /** "incremental": events after `resumedFrom` were re-hashed now; "full": every event was. */
  mode: "full" | "incremental";
  /** The stored verification this one continued from (null for a full one). */
  resumedFrom: VerificationSummary | null;
  /** The newest full verification on record (including this one when it was full). */
  lastFull: VerificationSummary | null;
};

function sign(row: UnsignedVerification, secret: string): string {
  return createHmac("sha256", secret)
    .update(
      canonicalJson({
        kind: "policyplane.audit.verification",
        seq: row.seq,
        hash: row.hash,
        verifiedAt: row.verifiedAt.toISOString(),
        verification: row.kind,
        fromSeq: row.fromSeq,
        keyedSince: row.keyedSince,
        verifiedBy: row.verifiedBy,
      }),
    )
    .digest("hex");
}

function signatureHolds(row: VerificationRow, keyring: AuditKeyring): boolean {
  const key = keyring.byId.get(row.keyId);
  if (!key) return false;
  const expected = Buffer.from(sign(row, key.secret), "hex");
  const actual = Buffer.from(row.signature, "hex");
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

const summary = (row: VerificationRow): VerificationSummary => ({
  seq: row.seq,
  kind: row.kind,
  fromSeq: row.fromSeq,
  verifiedAt: row.verifiedAt,
  verifiedBy: row.verifiedBy,
});

async function storeVerification(db: Queryable, row: UnsignedVerification, keyring: AuditKeyring): Promise<VerificationRow> {
  const key = keyring.current;
  const [stored] = await db
    .insert(auditVerifications)
    .values({ ...row, keyId: key.id, signature: sign(row, key.secret) })
    .returning();
  return stored!;
}

const failed = (checked: number, brokenAtSeq: number, reason: string): ChainVerification => ({ ok: false, checked, brokenAtSeq, reason });

async function newestVerification(db: Queryable, kind?: "full"): Promise<VerificationRow | undefined> {
  const [row] = await db
    .select()
    .from(auditVerifications)
    .where(kind ? eq(auditVerifications.kind, kind) : undefined)
    .orderBy(desc(auditVerifications.id))
    .limit(1);
  return row;
}

/**
 * Verifies the chain from the newest stored verification on (a full walk when there is none)
 * and stores the new head as verified. The stored position itself must still hold: its
 * signature, and the event it names must still carry the hash it had.
 */
export async function verifyIncrementally(
  db: Queryable,
  settings: Pick<AuditSettings, "keyring" | "checkpointFile">,
  verifiedBy: string,
): Promise<AuditChainStatus> {
  const verifiedAt = new Date();
  const read = readCheckpoints(settings.checkpointFile, settings.keyring);
  const base = { verifiedAt, resumedFrom: null, lastFull: null };
  if (!read.ok) return { ...untrustedCheckpoints(read.reason), ...base, mode: "incremental" };
  const last = await newestVerification(db);
  if (!last) return verifyEverything(db, settings, verifiedBy);
  const resumedFrom = summary(last);
  const lastFullRow = last.kind === "full" ? last : await newestVerification(db, "full");
  const status = { verifiedAt, mode: "incremental" as const, resumedFrom, lastFull: lastFullRow ? summary(lastFullRow) : null };
  if (!signatureHolds(last, settings.keyring)) {
    return {
      ...failed(
        0,
        last.seq,
        `the stored verification of #${last.seq} is not signed by the audit key (it was written into the database by someone else)`,
      ),
      ...status,
    };
  }
  const [event] = await db.select({ hash: auditEvents.hash }).from(auditEvents).where(eq(auditEvents.seq, last.seq));
  if (event?.hash !== last.hash) {
    return {
      ...failed(
        0,
        last.seq,
        event
          ? `event #${last.seq} is not the event verified at ${last.verifiedAt.toISOString()} (the chain was rewritten up to there)`
          : `event #${last.seq}, verified at ${last.verifiedAt.toISOString()}, is gone (events were deleted)`,
      ),
      ...status,
    };
  }
  const { result, keyedSince } = await walkChain(db, settings.keyring, read.checkpoints, {
    seq: last.seq,
    hash: last.hash,
    keyedSince: last.keyedSince,
  });
  if (result.ok && result.headSeq > last.seq) {
    await storeVerification(
      db,
      { seq: result.headSeq, hash: result.headHash, verifiedAt, kind: "incremental", fromSeq: last.seq + 1, keyedSince, verifiedBy },
      settings.keyring,
    );
  }
  return { ...result, ...status };
}

/**
 * Re-hashes every event from #1 and, when the chain holds, stores its head as verified in full.
 * `store` runs the write (a caller wraps it in the transaction of its audit event); the walk
 * itself reads outside any transaction, so a long trail holds no lock while it is hashed.
 */
export async function verifyEverything(
  db: Queryable,
  settings: Pick<AuditSettings, "keyring" | "checkpointFile">,
  verifiedBy: string,
  store: <T>(write: (db: Queryable) => Promise<T>, result: ChainVerification) => Promise<T> = (write) => write(db),
): Promise<AuditChainStatus> {
  const verifiedAt = new Date();
  const base = { verifiedAt, mode: "full" as const, resumedFrom: null };
  const read = readCheckpoints(settings.checkpointFile, settings.keyring);
  if (!read.ok) return { ...untrustedCheckpoints(read.reason), ...base, lastFull: null };
  const { result, keyedSince } = await walkChain(db, settings.keyring, read.checkpoints);
  const verified = result.ok && result.headSeq > 0 ? { seq: result.headSeq, hash: result.headHash } : null;
  const lastFull = await store(async (tx) => {
    const row = verified
      ? await storeVerification(tx, { ...verified, verifiedAt, kind: "full", fromSeq: 1, keyedSince, verifiedBy }, settings.keyring)
      : await newestVerification(tx, "full");
    return row ? summary(row) : null;
  }, result);
  return { ...result, ...base, lastFull };
}

/** The Audit page's status: incremental from the last verified position, for organisation-wide readers. */
export async function checkAuditTrail({ ctx }: { ctx: ServiceContext }): Promise<AuditChainStatus> {
  requireOrganisationReader(ctx.actor);
  return verifyIncrementally(ctx.db, auditSettings(), ctx.actor.label);
}

/** The "Verify everything" walk running in this process: one at a time, as each holds a connection and a hashing thread. */
let fullWalkRunning: { by: string; since: Date } | null = null;

/** "Verify everything": a full re-hash on a reader's demand, recorded in the trail with its verdict. */
export async function verifyAuditTrailInFull({ ctx }: { ctx: ServiceContext }): Promise<AuditChainStatus> {
  requireOrganisationReader(ctx.actor);
  if (fullWalkRunning)
    throw new Busy(
      `A full verification started by ${fullWalkRunning.by} at ${fullWalkRunning.since.toISOString()} is still running: its verdict shows here when it ends.`,
    );
  fullWalkRunning = { by: ctx.actor.label, since: new Date() };
  try {
    return await verifyAndRecord(ctx);
  } finally {
    fullWalkRunning = null;
  }
}

function verifyAndRecord(ctx: ServiceContext): Promise<AuditChainStatus> {
  // The verified head and the audit event of the verification (with its verdict) are written in one transaction.
  return verifyEverything(ctx.db, auditSettings(), ctx.actor.label, (write, result) =>
    withTransaction(ctx, async (tx) => {
      const written = await write(tx.db);
      await recordAudit(tx, {
        action: "audit.verified",
        targetType: "audit_chain",
        targetId: "audit_events",
        targetLabel: "audit chain",
        after: result.ok
          ? { ok: true, checked: result.checked, headSeq: result.headSeq }
          : { ok: false, checked: result.checked, brokenAtSeq: result.brokenAtSeq, reason: result.reason },
      });
      return written;
    }),
  );
}
