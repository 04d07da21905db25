import "server-only";
// The audit trail's secrets and where its checkpoints go. The key lives
// outside the database (environment, a file), so someone who can rewrite the
// database cannot recompute the chain. Each event names the key that sealed
// it, so keys can rotate: old keys stay available for verification only.
import { createHmac, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { env, type Env } from "@/server/env";

export interface AuditKey {
  /** Derived from the secret (never the secret itself): stored with every event it seals. */
  id: string;
  secret: string;
}

export interface AuditKeyring {
  /** Seals new events and checkpoints. */
  current: AuditKey;
  /** Every key verification accepts, by id (the current one and AUDIT_PREVIOUS_KEYS). */
  byId: ReadonlyMap<string, AuditKey>;
}

export interface AuditSettings {
  keyring: AuditKeyring;
  /** JSON lines of signed chain heads, outside the database. */
  checkpointFile: string;
  /** How often the server exports a checkpoint; 0: only at start and on demand. */
  checkpointSeconds: number;
}

export const MIN_AUDIT_KEY_LENGTH = 32;

export function auditKey(secret: string): AuditKey {
  return { id: createHmac("sha256", secret).update("policyplane audit key id").digest("hex").slice(0, 16), secret };
}

export function auditKeyring(current: string, previous: readonly string[] = []): AuditKeyring {
  const keys = [current, ...previous].map(auditKey);
  return { current: keys[0]!, byId: new Map(keys.map((k) => [k.id, k])) };
}

type AuditEnv = Pick<
  Env,
  | "DATABASE_URL"
  | "PGLITE_DIR"
  | "AUDIT_KEY"
  | "AUDIT_KEY_FILE"
  | "AUDIT_PREVIOUS_KEYS"
  | "AUDIT_CHECKPOINT_FILE"
  | "AUDIT_CHECKPOINT_SECONDS"
>;

/** The embedded install keeps its files next to the PGlite folder (.data/ by default). */
const dataFolder = (config: AuditEnv) => path.dirname(path.resolve(config.PGLITE_DIR));

export function auditSettingsFromEnv(config: AuditEnv): AuditSettings {
  return {
    keyring: auditKeyring(currentSecret(config), config.AUDIT_PREVIOUS_KEYS),
    checkpointFile: path.resolve(config.AUDIT_CHECKPOINT_FILE ?? path.join(dataFolder(config), "audit-checkpoints.jsonl")),
    checkpointSeconds: config.AUDIT_CHECKPOINT_SECONDS,
  };
}

function currentSecret(config: AuditEnv): string {
  if (config.AUDIT_KEY) return config.AUDIT_KEY;
  if (config.AUDIT_KEY_FILE) return readKeyFile(config.AUDIT_KEY_FILE, "AUDIT_KEY_FILE");
  if (config.DATABASE_URL) {
    throw new Error(
      "AUDIT_KEY or AUDIT_KEY_FILE must be set when DATABASE_URL is used: the audit key must live outside the database, and every replica needs the same one",
    );
  }
  // The quick start: a random key beside the data, readable by this user only.
  const file = path.join(dataFolder(config), "audit-key");
  if (existsSync(file)) return readKeyFile(file, "the audit key file");
  mkdirSync(path.dirname(file), { recursive: true });
  const secret = randomBytes(32).toString("base64url");
  writeFileSync(file, secret, { mode: 0o600, flag: "wx" });
  return secret;
}

function readKeyFile(file: string, what: string): string {
  let secret: string;
  try {
    secret = readFileSync(file, "utf8").trim();
  } catch (error) {
    throw new Error(`${what} ${file} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  if (secret.length < MIN_AUDIT_KEY_LENGTH) throw new Error(`${what} ${file} must hold at least ${MIN_AUDIT_KEY_LENGTH} characters`);
  return secret;
}

let active: AuditSettings | undefined;

/** Sets the settings every audit write and verification in this process uses (the runtime at start, tests). */
export function configureAudit(settings: AuditSettings): void {
  active = settings;
}

/** The settings configured for this process, else the ones the environment describes. */
export function auditSettings(): AuditSettings {
  active ??= auditSettingsFromEnv(env());
  return active;
}
