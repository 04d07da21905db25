import "server-only";
// Private keys at rest: AES-256-GCM under a key derived (HKDF) from the audit key, which lives outside
// the database (server/audit/keys.ts). Someone holding a copy of the database alone cannot read them.
// Each sealed value names the audit key it was sealed under, so an audit key rotation (the old one kept
// in AUDIT_PREVIOUS_KEYS) still opens older values.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { auditSettings } from "@/server/audit/keys";

const INFO = "policyplane webhook private keys v1";

const derive = (secret: string) => Buffer.from(hkdfSync("sha256", secret, "policyplane", INFO, 32));

export function seal(plain: string): { sealed: string; keyId: string } {
  const { current } = auditSettings().keyring;
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", derive(current.secret), iv);
  const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
  return { sealed: Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64"), keyId: current.id };
}

export function unseal(sealed: string, keyId: string): string {
  const key = auditSettings().keyring.byId.get(keyId);
  if (!key) throw new Error(`The webhook key was sealed under audit key ${keyId}, which is neither AUDIT_KEY nor in AUDIT_PREVIOUS_KEYS.`);
  const raw = Buffer.from(sealed, "base64");
  const decipher = createDecipheriv("aes-256-gcm", derive(key.secret), raw.subarray(0, 12));
  decipher.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8");
}
