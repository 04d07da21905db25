import "server-only";
// Signed checkpoints of the chain head, appended to a JSON-lines file outside
// the database. Deleting the newest events leaves a valid shorter chain; the
// last exported checkpoint still names the head that was there.
import { createHmac, timingSafeEqual } from "node:crypto";
import { appendFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { desc } from "drizzle-orm";
import type { Database } from "@/db/client";
import { auditEvents } from "@/db/schema";
import { requireRole } from "@/server/auth/authorize";
import { systemActor, withTransaction, type Actor, type ServiceContext } from "@/server/context";
import { canonicalJson } from "@/server/lib/canonical";
import type { Checkpoint } from "./chain";
import { auditSettings, type AuditKey, type AuditKeyring, type AuditSettings } from "./keys";
import { recordAudit } from "./record";

/** One line of the checkpoint file. */
export interface SignedCheckpoint extends Checkpoint {
  keyId: string;
  signature: string;
}

function signature(checkpoint: Checkpoint, key: AuditKey): string {
  const signed = canonicalJson({
    kind: "policyplane.audit.checkpoint",
    seq: checkpoint.seq,
    hash: checkpoint.hash,
    at: checkpoint.at,
    keyId: key.id,
  });
  return createHmac("sha256", key.secret).update(signed).digest("hex");
}

export function signCheckpoint(checkpoint: Checkpoint, key: AuditKey): SignedCheckpoint {
  return { ...checkpoint, keyId: key.id, signature: signature(checkpoint, key) };
}

export type CheckpointRead = { ok: true; checkpoints: Checkpoint[] } | { ok: false; reason: string };

/** Reads and verifies every line; a missing file has no checkpoints. One bad line fails the whole file. */
export function readCheckpoints(file: string, keyring: AuditKeyring): CheckpointRead {
  if (!existsSync(file)) return { ok: true, checkpoints: [] };
  const checkpoints: Checkpoint[] = [];
  const lines = readFileSync(file, "utf8").split("\n");
  for (const [i, line] of lines.entries()) {
    if (line.trim() === "") continue;
    const where = `${file}:${i + 1}`;
    let value: Partial<SignedCheckpoint>;
    try {
      value = JSON.parse(line) as Partial<SignedCheckpoint>;
    } catch {
      return { ok: false, reason: `${where}: not a JSON checkpoint` };
    }
    const { seq, hash, at, keyId, signature: given } = value;
    if (
      typeof seq !== "number" ||
      typeof hash !== "string" ||
      typeof at !== "string" ||
      typeof keyId !== "string" ||
      typeof given !== "string"
    ) {
      return { ok: false, reason: `${where}: a checkpoint needs seq, hash, at, keyId and signature` };
    }
    const key = keyring.byId.get(keyId);
    if (!key) return { ok: false, reason: `${where}: signed with key ${keyId}, which is neither AUDIT_KEY nor one of AUDIT_PREVIOUS_KEYS` };
    const expected = Buffer.from(signature({ seq, hash, at }, key), "hex");
    const actual = Buffer.from(given, "hex");
    if (actual.length !== expected.length || !timingSafeEqual(actual, expected))
      return { ok: false, reason: `${where}: the checkpoint's signature does not verify (the file was edited)` };
    checkpoints.push({ seq, hash, at });
  }
  return { ok: true, checkpoints };
}

/**
 * Seals the current head: records an `audit.checkpoint` event, then (once that
 * is committed) appends the signed head, that event, to the checkpoint file.
 */
export async function exportCheckpoint(
  db: Database,
  settings: AuditSettings,
  { actor = systemActor("audit checkpoint"), requestId = `checkpoint-${Date.now()}` }: { actor?: Actor; requestId?: string } = {},
): Promise<SignedCheckpoint> {
  return sealCheckpoint({ db, actor, requestId }, settings);
}

/** An admin's "checkpoint now": the same seal as the scheduled one, recorded as theirs. */
export async function checkpointAuditTrail({ ctx }: { ctx: ServiceContext }): Promise<Checkpoint> {
  requireRole(ctx.actor, "admin");
  const { seq, hash, at } = await sealCheckpoint(ctx, auditSettings());
  return { seq, hash, at };
}

async function sealCheckpoint(ctx: ServiceContext, settings: AuditSettings): Promise<SignedCheckpoint> {
  const sealed = await withTransaction(ctx, (tx) =>
    recordAudit(tx, {
      action: "audit.checkpoint",
      targetType: "audit_chain",
      targetId: path.basename(settings.checkpointFile),
      after: { file: settings.checkpointFile },
    }),
  );
  const line = signCheckpoint({ seq: sealed.seq, hash: sealed.hash, at: new Date().toISOString() }, settings.keyring.current);
  mkdirSync(path.dirname(settings.checkpointFile), { recursive: true });
  appendFileSync(settings.checkpointFile, `${JSON.stringify(line)}\n`, { mode: 0o600 });
  return line;
}

/** Exports a checkpoint unless the newest one in the file is still the head (an idle trail gets no new events). */
export async function exportCheckpointIfChanged(db: Database, settings: AuditSettings): Promise<SignedCheckpoint | null> {
  const [head] = await db.select({ seq: auditEvents.seq }).from(auditEvents).orderBy(desc(auditEvents.seq)).limit(1);
  const read = readCheckpoints(settings.checkpointFile, settings.keyring);
  const newest = read.ok ? Math.max(0, ...read.checkpoints.map((c) => c.seq)) : -1;
  return (head?.seq ?? 0) === newest ? null : exportCheckpoint(db, settings);
}

/** Exports a checkpoint every `checkpointSeconds` while the head moves; returns how to stop. */
export function scheduleCheckpoints(db: Database, settings: AuditSettings, log: (message: string, error?: unknown) => void): () => void {
  if (settings.checkpointSeconds === 0) return () => {};
  const timer = setInterval(() => {
    exportCheckpointIfChanged(db, settings).catch((error: unknown) => log("could not export an audit checkpoint", error));
  }, settings.checkpointSeconds * 1000);
  timer.unref();
  return () => clearInterval(timer);
}
