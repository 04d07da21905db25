// Backup and restore (issue 18 item 9): the demo organisation with a release, a change request and a token,
// backed up and restored into a fresh database, has the same policies, versions, releases and tokens, every
// table's rows alike, and an audit chain that verifies; a database that is not empty, a corrupt bundle, a
// bundle of another schema and a wrong audit key are refused with nothing written.
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { asc, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DatabaseHandle, Queryable } from "@/db/client";
import * as schema from "@/db/schema";
import { openTestDatabase, testDatabaseKind } from "@/db/testing";
import { auditKeyring, auditSettings } from "@/server/audit/keys";
import { walkChain } from "@/server/audit/query";
import { callerFor, demoToken } from "@/server/testing/actors";
import { auditHead } from "@/server/testing/audit-events";
import { useSeededDatabase } from "@/server/testing/database";
import { authenticateApiToken } from "@/server/tokens/tokens";
import { BackupRefused, bundledTables, checkBundle, restoreBackup, schemaVersion, writeBackup } from "./bundle";

const ADMIN = "alex.admin@acme.example";

/** Every table's rows as PostgreSQL prints them, in primary key order. */
async function contents(db: Queryable, except: string[] = []): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const t of await bundledTables(db)) {
    if (except.includes(t.name)) continue;
    const order = t.primaryKey.length ? `order by ${t.primaryKey.map((c) => `"${c}"`).join(", ")}` : "";
    const result = (await db.execute(sql.raw(`select row_to_json(t)::text as j from "${t.name}" t ${order}`))) as unknown as
      { j: string }[] | { rows: { j: string }[] };
    out[t.name] = (Array.isArray(result) ? result : result.rows).map((r) => r.j);
  }
  return out;
}

/** A bundle's lines, edited, as a new gzip file. */
function rewrite(from: string, to: string, edit: (lines: string[]) => string[]): string {
  const lines = gunzipSync(readFileSync(from)).toString("utf8").split("\n");
  writeFileSync(to, gzipSync(edit(lines).join("\n")));
  return to;
}

describe(`backup and restore on ${testDatabaseKind()}`, () => {
  const source = useSeededDatabase();
  const dir = mkdtempSync(path.join(tmpdir(), "pp-backup-"));
  const bundle = path.join(dir, "store.jsonl.gz");
  let token = "";
  let fresh: DatabaseHandle;

  beforeAll(async () => {
    const db = source().db;
    const admin = await callerFor(db, ADMIN);
    token = await demoToken(db, "agent", ["decide"]);
    const author = await callerFor(db, "priya.payments@acme.example");
    const { name } = await author.policies.createFromTemplate({ template: "tenant-east-west-isolation", values: { tenant: "payments" } });
    const { number } = await author.policies.proposeChange({ title: "payments isolation", description: "", policies: [name] });
    const { contentHash } = await author.workflow.review({ number });
    await (await callerFor(db, "sam.security@acme.example")).workflow.approve({ number, contentHash });
    await (await callerFor(db, "dana.payments-committee@acme.example")).workflow.approve({ number, contentHash });
    await admin.workflow.release({ number });
    fresh = await openTestDatabase();
  });
  afterAll(async () => {
    await fresh?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("writes one bundle of every table, and records the backup in the audit trail", async () => {
    const db = source().db;
    const headBefore = await auditHead(db);
    const summary = await writeBackup(db, bundle);
    expect(summary.tables.policies).toBeGreaterThan(20);
    expect(summary.tables.releases).toBe(1);
    expect(summary.tables.audit_events).toBe(headBefore);
    expect(summary.tables).not.toHaveProperty("session");
    expect(await checkBundle(bundle)).toMatchObject({ sha256: summary.sha256, tables: summary.tables });
    const [event] = await db.select().from(schema.auditEvents).orderBy(asc(schema.auditEvents.seq)).offset(headBefore);
    expect(event).toMatchObject({ action: "backup.created", targetId: summary.sha256 });
    await expect(writeBackup(db, bundle)).rejects.toThrow(/exists: a backup never overwrites/);
  });

  it("refuses a corrupt bundle, naming where, and writes nothing", async () => {
    const flipped = path.join(dir, "flipped.gz");
    const bytes = readFileSync(bundle);
    bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
    writeFileSync(flipped, bytes);
    await expect(restoreBackup(fresh.db, flipped, auditSettings().keyring)).rejects.toThrow(BackupRefused);

    // A policy's row changed, the file still a good gzip: its table's checksum says so.
    const edited = rewrite(bundle, path.join(dir, "edited.gz"), (lines) => {
      const i = lines.indexOf('["table",{"name":"policies"}]') + 1;
      lines[i] = lines[i]!.replace('"name":"', '"name":"x');
      return lines;
    });
    await expect(restoreBackup(fresh.db, edited, auditSettings().keyring)).rejects.toThrow(
      /corrupt at line \d+ \(table policies\): the table's rows do not match its checksum.*Nothing was written/,
    );
    const cut = rewrite(bundle, path.join(dir, "cut.gz"), (lines) => lines.slice(0, 200));
    await expect(restoreBackup(fresh.db, cut, auditSettings().keyring)).rejects.toThrow(/without its manifest|is missing/);
    const notABundle = path.join(dir, "plain.txt");
    writeFileSync(notABundle, "hello");
    await expect(restoreBackup(fresh.db, notABundle, auditSettings().keyring)).rejects.toThrow(/is not a Policyplane backup/);
    const badGzip = path.join(dir, "bad.gz");
    writeFileSync(badGzip, Buffer.concat([bytes.subarray(0, 10), Buffer.from("not deflate data at all")]));
    await expect(restoreBackup(fresh.db, badGzip, auditSettings().keyring)).rejects.toThrow(/cannot be read as a gzip bundle/);
    await expect(restoreBackup(fresh.db, path.join(dir, "nothing.gz"), auditSettings().keyring)).rejects.toThrow(/no such file/);

    // Another version's bundle, checksums intact: refused by its schema.
    const otherSchema = rewrite(bundle, path.join(dir, "schema.gz"), (lines) => {
      lines[0] = lines[0]!.replace(/"schema":"[^"]+"/, '"schema":"0099_future"');
      const m = lines.findIndex((l) => l.startsWith('["manifest",'));
      const whole = createHash("sha256")
        .update(
          lines
            .slice(0, m)
            .map((l) => `${l}\n`)
            .join(""),
        )
        .digest("hex");
      lines[m] = lines[m]!.replace(/"sha256":"[0-9a-f]{64}"\}\]$/, `"sha256":"${whole}"}]`);
      return lines;
    });
    await expect(restoreBackup(fresh.db, otherSchema, auditSettings().keyring)).rejects.toThrow(
      `made at schema 0099_future; this Policyplane is at ${schemaVersion()}`,
    );

    const empty = await contents(fresh.db, ["platform_default_versions", "approval_rules"]);
    expect(Object.entries(empty).filter(([, rows]) => rows.length > 0)).toEqual([]);
  });

  it("refuses a bundle whose audit chain another key sealed, writing nothing", async () => {
    await expect(restoreBackup(fresh.db, bundle, auditKeyring("another-installations-key-0123456789abcdef"))).rejects.toThrow(
      /does not verify with this installation's audit key.*AUDIT_KEY/,
    );
    expect(await auditHead(fresh.db)).toBe(0);
    expect(await fresh.db.select().from(schema.policies)).toEqual([]);
  });

  it("restores into a fresh database: the same rows everywhere, working tokens, a chain that verifies", async () => {
    const summary = await restoreBackup(fresh.db, bundle, auditSettings().keyring);
    const [from, to] = [source().db, fresh.db];
    // The source has moved on by its backup.created event only; the restored store by its backup.restored.
    const before = await contents(from, ["audit_events"]);
    const after = await contents(to, ["audit_events"]);
    expect(after).toEqual(before);
    const events = await to.select().from(schema.auditEvents).orderBy(asc(schema.auditEvents.seq));
    const original = await from.select().from(schema.auditEvents).orderBy(asc(schema.auditEvents.seq));
    expect(events.slice(0, -1)).toEqual(original.slice(0, -1));
    expect(events.at(-1)).toMatchObject({ action: "backup.restored", prevHash: original.at(-2)!.hash });
    expect(summary.auditEvents).toBe(original.length - 1);

    const { result } = await walkChain(to, auditSettings().keyring, []);
    expect(result).toMatchObject({ ok: true, checked: events.length });
    expect(await to.select().from(schema.releases)).toEqual(await from.select().from(schema.releases));
    expect((await to.select().from(schema.policyVersions)).length).toBeGreaterThan(20);

    const actor = await authenticateApiToken({ ctx: { db: to, requestId: "t" }, input: { token } });
    expect(actor).toMatchObject({ type: "token", label: "token:agent" });
    // Sequences continue past the restored rows: the next event and change request get new numbers.
    const author = await callerFor(to, "carlos.checkout@acme.example");
    const { name } = await author.policies.createFromTemplate({ template: "tenant-east-west-isolation", values: { tenant: "checkout" } });
    const { number } = await author.policies.proposeChange({ title: "checkout isolation", description: "", policies: [name] });
    expect(number).toBe(2);
    expect((await walkChain(to, auditSettings().keyring, [])).result.ok).toBe(true);
  });

  it("refuses to restore into a database that is not empty, writing nothing", async () => {
    const head = await auditHead(fresh.db);
    await expect(restoreBackup(fresh.db, bundle, auditSettings().keyring)).rejects.toThrow(
      /Refusing to restore into a database that is not empty: .+ hold rows.*Nothing was written/,
    );
    expect(await auditHead(fresh.db)).toBe(head);
  });
});
