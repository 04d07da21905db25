// `policyplane admin create --email <e>`: the first admin of an installation,
// on the database the server uses (DATABASE_URL, or its PGlite folder while the
// server is stopped). Exit 0 with a one-time set-password link; exit 1 when an
// admin already exists, the configuration is incomplete (e.g. no audit key with
// DATABASE_URL) or the database cannot be opened.
import { z } from "zod";
import { systemActor } from "@/server/context";
import { env } from "@/server/env";
import { ServiceError } from "@/server/errors";
import { SET_PASSWORD_LINK_HOURS, createFirstAdmin } from "@/server/users/bootstrap";
import { openStore } from "../store";
import { UsageError } from "../usage";

export async function runAdminCreate(opts: { email: string; name?: string }): Promise<number> {
  const email = z.email().safeParse(opts.email.trim());
  if (!email.success) throw new UsageError(`--email: expected an e-mail address, got ${JSON.stringify(opts.email)}`);
  const handle = await openStore();
  if (!handle) return 1;
  const config = env();
  try {
    const ctx = { db: handle.db, actor: systemActor("policyplane admin create"), requestId: `cli-${process.pid}-${Date.now()}` };
    const created = await createFirstAdmin({ ctx, input: { email: email.data, ...(opts.name ? { name: opts.name } : {}) } });
    const base = (config.BETTER_AUTH_URL ?? `http://localhost:${config.PORT}`).replace(/\/+$/, "");
    process.stdout.write(
      `Created ${email.data.toLowerCase()} as the first global admin.\n` +
        `Open this link within ${SET_PASSWORD_LINK_HOURS} hours to set the password (it works once):\n` +
        `${base}/set-password?token=${created.token}\n`,
    );
    return 0;
  } catch (error) {
    if (error instanceof ServiceError) {
      process.stderr.write(`error: ${error.message}\n`);
      return 1;
    }
    throw error;
  } finally {
    await handle.close();
  }
}
