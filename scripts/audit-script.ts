// What the audit scripts share: the audit settings and the configured database,
// or exit 2 with one line naming the script (it could not check anything).
import { auditSettings, type AuditSettings } from "@/server/audit/keys";
import type { DatabaseHandle } from "@/db/client";
import { openConfiguredDatabase } from "./open-configured-database";

export async function openForAudit(script: string): Promise<{ settings: AuditSettings; handle: DatabaseHandle }> {
  try {
    const settings = auditSettings();
    return { settings, handle: await openConfiguredDatabase() };
  } catch (error) {
    console.error(`${script}: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  }
}
