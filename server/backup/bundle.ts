import "server-only";
// Backup and restore of the whole store (issue 18 item 9): `policyplane backup` / `policyplane restore`.
//
// A bundle is one gzip file of JSON lines, each an array [kind, payload]:
//   ["header", {format, createdAt, schema, tables: [{name, columns}]}]
//   then per table, parents before children:  ["table", {name}]  ["row", {…}]…  ["end", {table, rows, sha256}]
//   ["manifest", {tables: {name: {rows, sha256}}, sha256}]
// A table's sha256 covers its row lines; the manifest's covers every line before it. Rows are PostgreSQL's
// own row_to_json of each row and go back in through json_populate_recordset, so every type (timestamps to
// the microsecond, jsonb, arrays, bytea) returns exactly as it was: the audit chain's hashes still verify.
// The export reads one REPEATABLE READ snapshot, so a bundle of a running PostgreSQL is consistent.
//
// A restore reads the whole bundle once to check it (checksums, structure, schema version) before touching
// the database, refuses a database that holds anything, then writes everything in one transaction that also
// verifies the audit chain with this installation's key and records `backup.restored`: on any failure,
// nothing is written.
import { createHash } from "node:crypto";
import { once } from "node:events";
import { createWriteStream, existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { sql } from "drizzle-orm";
import { MIGRATIONS_FOLDER, type Database, type Queryable } from "@/db/client";
import { walkChain } from "@/server/audit/query";
import { recordAudit } from "@/server/audit/record";
import type { AuditKeyring } from "@/server/audit/keys";
import { lineBatches } from "@/server/cli/io";
import { systemActor, withTransaction } from "@/server/context";

export const BUNDLE_FORMAT = "policyplane-backup/1";
/**
 * Never in a bundle: live sign-in sessions (bearer secrets; people sign in again after a restore), sign-in
 * rate counters, and the inventory's revision counter (only a cache key, migration 0028: a restored store
 * keeps counting from the row its own migration made).
 */
export const EXCLUDED_TABLES: readonly string[] = ["session", "rate_limit", "inventory_revision"];
/** Tables the migrations put rows in (db/migrations/*.sql), excluded ones aside: a fresh database has those rows; a restore replaces them. */
export const SEEDED_BY_MIGRATIONS: readonly string[] = ["platform_default_versions", "approval_rules"];

const PAGE_ROWS = 2000;
/** Longer than any row (request bodies, observed state included, are at most 10 MiB). */
const MAX_LINE_CHARS = 256 * 1024 * 1024;
/** Rows per INSERT … json_populate_recordset: bounded by size too, so large rows (observed state) stay small statements. */
const INSERT_ROWS = 1000;
const INSERT_BYTES = 4 * 1024 * 1024;

/** The bundle cannot be restored here (corrupt, another schema, a database that is not empty …): nothing was written. */
export class BackupRefused extends Error {}

export interface TableInfo {
  name: string;
  /** Stored columns in table order (generated columns are recomputed, never restored). */
  columns: string[];
  primaryKey: string[];
  /** Foreign keys within the table itself (an exception renewing another): such rows are restored parents first. */
  selfReferences: { columns: string[]; references: string[] }[];
  /** Columns a sequence fills (serial, identity): set past the restored maximum. */
  sequenced: string[];
}

interface Header {
  format: string;
  createdAt: string;
  schema: string;
  tables: { name: string; columns: string[] }[];
}

export interface BackupSummary {
  file: string;
  createdAt: string;
  schema: string;
  sha256: string;
  tables: Record<string, number>;
}

const ident = (name: string) => sql.raw(`"${name.replace(/"/g, '""')}"`);
const identList = (names: readonly string[]) => sql.raw(names.map((n) => `"${n.replace(/"/g, '""')}"`).join(", "));

/** Rows of a raw query, from either driver (postgres-js: an array; PGlite: {rows}). */
async function rowsOf<T>(db: Queryable, query: ReturnType<typeof sql>): Promise<T[]> {
  const result = (await db.execute(query)) as unknown as T[] | { rows: T[] };
  return Array.isArray(result) ? result : result.rows;
}

/** The newest migration this code carries: a bundle restores only into the same schema. */
export function schemaVersion(): string {
  const journal = JSON.parse(readFileSync(path.join(MIGRATIONS_FOLDER, "meta", "_journal.json"), "utf8")) as {
    entries: { tag: string }[];
  };
  return journal.entries.at(-1)?.tag ?? "none";
}

/** Every table of the application's schema, parents before the tables that refer to them. */
export async function storeTables(db: Queryable): Promise<TableInfo[]> {
  const [tables, columns, keys, foreign, sequenced] = await Promise.all([
    rowsOf<{ name: string }>(
      db,
      sql`select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
          where n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relispartition order by c.relname`,
    ),
    rowsOf<{ t: string; c: string }>(
      db,
      sql`select table_name as t, column_name as c from information_schema.columns
          where table_schema = 'public' and is_generated = 'NEVER' order by table_name, ordinal_position`,
    ),
    rowsOf<{ t: string; c: string }>(
      db,
      sql`select t.relname as t, a.attname as c from pg_index i
          join pg_class t on t.oid = i.indrelid join pg_namespace n on n.oid = t.relnamespace
          join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
          where i.indisprimary and n.nspname = 'public' order by t.relname, array_position(i.indkey::int2[], a.attnum)`,
    ),
    rowsOf<{ t: string; r: string; cols: string; refs: string }>(
      db,
      sql`select t.relname as t, r.relname as r,
            (select json_agg(a.attname order by k.i) from unnest(c.conkey) with ordinality k(n, i)
              join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.n)::text as cols,
            (select json_agg(a.attname order by k.i) from unnest(c.confkey) with ordinality k(n, i)
              join pg_attribute a on a.attrelid = c.confrelid and a.attnum = k.n)::text as refs
          from pg_constraint c join pg_class t on t.oid = c.conrelid join pg_class r on r.oid = c.confrelid
          join pg_namespace n on n.oid = t.relnamespace where c.contype = 'f' and n.nspname = 'public'`,
    ),
    rowsOf<{ t: string; c: string }>(
      db,
      sql`select table_name as t, column_name as c from information_schema.columns
          where table_schema = 'public' and (column_default like 'nextval(%' or is_identity = 'YES')`,
    ),
  ]);
  const by = <R extends { t: string }>(rows: R[], name: string) => rows.filter((r) => r.t === name);
  const infos = new Map<string, TableInfo & { parents: Set<string> }>();
  for (const { name } of tables) {
    infos.set(name, {
      name,
      columns: by(columns, name).map((r) => r.c),
      primaryKey: by(keys, name).map((r) => r.c),
      selfReferences: by(foreign, name)
        .filter((f) => f.r === name)
        .map((f) => ({ columns: JSON.parse(f.cols) as string[], references: JSON.parse(f.refs) as string[] })),
      sequenced: by(sequenced, name).map((r) => r.c),
      parents: new Set(
        by(foreign, name)
          .map((f) => f.r)
          .filter((r) => r !== name),
      ),
    });
  }
  // Kahn's order, alphabetical among the ready ones so two bundles of one store list tables alike.
  const ordered: TableInfo[] = [];
  const done = new Set<string>();
  while (done.size < infos.size) {
    const ready = [...infos.values()].filter((t) => !done.has(t.name) && [...t.parents].every((p) => done.has(p) || !infos.has(p)));
    if (ready.length === 0) {
      const left = [...infos.keys()].filter((n) => !done.has(n));
      throw new Error(`The schema's foreign keys form a cycle among ${left.join(", ")}: no restore order exists.`);
    }
    for (const { parents: _, ...t } of ready) {
      ordered.push(t);
      done.add(t.name);
    }
  }
  return ordered;
}

/** The tables a bundle carries (everything but the EXCLUDED_TABLES). */
export async function bundledTables(db: Queryable): Promise<TableInfo[]> {
  return (await storeTables(db)).filter((t) => !EXCLUDED_TABLES.includes(t.name));
}

/** Each row of a table as PostgreSQL's JSON text, a page at a time in primary key order. */
async function* tableRows(db: Queryable, table: TableInfo): AsyncGenerator<string> {
  if (table.primaryKey.length === 0) {
    for (const r of await rowsOf<{ j: string }>(db, sql`select row_to_json(t)::text as j from ${ident(table.name)} t`)) yield r.j;
    return;
  }
  const key = identList(table.primaryKey);
  const keyOf = (alias: string) => sql.raw(table.primaryKey.map((c) => `${alias}."${c.replace(/"/g, '""')}"`).join(", "));
  let last: string | null = null;
  for (;;) {
    const page: { j: string }[] = await rowsOf<{ j: string }>(
      db,
      last === null
        ? sql`select row_to_json(t)::text as j from ${ident(table.name)} t order by ${key} limit ${PAGE_ROWS}`
        : sql`select row_to_json(t)::text as j from ${ident(table.name)} t
              where (${keyOf("t")}) > (select ${keyOf("r")} from json_populate_record(null::${ident(table.name)}, ${last}::json) r)
              order by ${key} limit ${PAGE_ROWS}`,
    );
    for (const r of page) yield r.j;
    if (page.length < PAGE_ROWS) return;
    last = page.at(-1)!.j;
  }
}

/** Writes the bundle of the whole store to `file` and records `backup.created` in the audit trail. */
export async function writeBackup(db: Database, file: string, now = new Date()): Promise<BackupSummary> {
  if (existsSync(file)) throw new BackupRefused(`${file} exists: a backup never overwrites a file. Name a new one.`);
  const gzip = createGzip();
  // The bundle holds password and token hashes: readable by its owner only.
  const written = pipeline(gzip, createWriteStream(file, { flags: "wx", mode: 0o600 }));
  written.catch(() => {}); // awaited below; a failure is reported there
  const whole = createHash("sha256");
  const put = async (line: string) => {
    whole.update(line);
    if (!gzip.write(line)) await once(gzip, "drain");
  };
  const counts: Record<string, { rows: number; sha256: string }> = {};
  const schema = schemaVersion();
  try {
    await db.transaction(
      async (tx) => {
        const tables = await bundledTables(tx);
        const header: Header = {
          format: BUNDLE_FORMAT,
          createdAt: now.toISOString(),
          schema,
          tables: tables.map((t) => ({ name: t.name, columns: t.columns })),
        };
        await put(`${JSON.stringify(["header", header])}\n`);
        for (const table of tables) {
          await put(`${JSON.stringify(["table", { name: table.name }])}\n`);
          const hash = createHash("sha256");
          let rows = 0;
          for await (const json of tableRows(tx, table)) {
            const line = `["row",${json}]\n`;
            hash.update(line);
            await put(line);
            rows++;
          }
          counts[table.name] = { rows, sha256: hash.digest("hex") };
          await put(`${JSON.stringify(["end", { table: table.name, ...counts[table.name] }])}\n`);
        }
      },
      { isolationLevel: "repeatable read", accessMode: "read only" },
    );
    const sha256 = whole.digest("hex");
    gzip.end(`${JSON.stringify(["manifest", { tables: counts, sha256 }])}\n`);
    await written;
    const summary: BackupSummary = {
      file,
      createdAt: now.toISOString(),
      schema,
      sha256,
      tables: Object.fromEntries(Object.entries(counts).map(([t, c]) => [t, c.rows])),
    };
    const ctx = { db, actor: systemActor("policyplane backup"), requestId: `backup-${now.getTime()}` };
    await withTransaction(ctx, (tx) =>
      recordAudit(tx, {
        action: "backup.created",
        targetType: "store",
        targetId: sha256,
        targetLabel: `backup ${path.basename(file)}`,
        after: { createdAt: summary.createdAt, schema, sha256, rows: Object.values(summary.tables).reduce((a, b) => a + b, 0) },
      }),
    );
    return summary;
  } catch (error) {
    gzip.destroy();
    await written.catch(() => {});
    throw error;
  }
}

type Line =
  | ["header", Header]
  | ["table", { name: string }]
  | ["row", Record<string, unknown>]
  | ["end", { table: string; rows: number; sha256: string }]
  | ["manifest", { tables: Record<string, { rows: number; sha256: string }>; sha256: string }];

/**
 * Reads a bundle line by line, checking its structure and every checksum as it goes; `onRow` sees each row
 * (its table and JSON text) and `onTableEnd` each table once its checksum held. Throws BackupRefused naming
 * the line and table at the first problem.
 */
async function readBundle(
  file: string,
  handlers: {
    onHeader?: (header: Header) => Promise<void> | void;
    onRow?: (table: string, json: string) => Promise<void> | void;
    onTableEnd?: (table: string) => Promise<void> | void;
  } = {},
): Promise<{ header: Header; sha256: string; tables: Record<string, number> }> {
  if (!existsSync(file)) throw new BackupRefused(`${file}: no such file.`);
  const whole = createHash("sha256");
  let header: Header | undefined;
  let current: { name: string; hash: ReturnType<typeof createHash>; rows: number } | null = null;
  const ended: Record<string, { rows: number; sha256: string }> = {};
  let manifest: Extract<Line, ["manifest", unknown]>[1] | undefined;
  let n = 0;
  const refuse = (message: string): never => {
    throw new BackupRefused(
      `The bundle is corrupt at line ${n}${current ? ` (table ${current.name})` : ""}: ${message}. Nothing was written.`,
    );
  };
  try {
    for await (const text of bundleLines(file)) {
      n++;
      if (manifest) refuse("there is data after the manifest");
      let line: Line;
      try {
        line = JSON.parse(text) as Line;
      } catch {
        if (n === 1) throw new BackupRefused(`${file} is not a Policyplane backup (${BUNDLE_FORMAT}): its first line is not JSON.`);
        return refuse("not a JSON line");
      }
      if (!Array.isArray(line) || line.length !== 2) refuse("not a bundle line");
      const [kind, payload] = line;
      if (kind !== "manifest") whole.update(`${text}\n`);
      if (n === 1) {
        if (kind !== "header" || (payload as Header).format !== BUNDLE_FORMAT)
          throw new BackupRefused(`${file} is not a Policyplane backup (${BUNDLE_FORMAT}): its first line is no such header.`);
        header = payload as Header;
        await handlers.onHeader?.(header);
        continue;
      }
      if (kind === "table") {
        const name = (payload as { name: string }).name;
        if (current) refuse(`table ${name} starts before ${current.name} ended`);
        if (!header!.tables.some((t) => t.name === name) || ended[name]) refuse(`unexpected table ${JSON.stringify(name)}`);
        current = { name, hash: createHash("sha256"), rows: 0 };
      } else if (kind === "row") {
        if (!current) return refuse("a row outside any table");
        current.hash.update(`${text}\n`);
        current.rows++;
        if (handlers.onRow) await handlers.onRow(current.name, text.slice('["row",'.length, -1));
      } else if (kind === "end") {
        const end = payload as { table: string; rows: number; sha256: string };
        if (!current || end.table !== current.name) return refuse("a table end without its start");
        const sha256 = current.hash.digest("hex");
        if (end.rows !== current.rows || end.sha256 !== sha256)
          refuse(
            `the table's rows do not match its checksum (${current.rows} rows, sha256 ${sha256}; recorded ${end.rows}, ${end.sha256})`,
          );
        ended[current.name] = { rows: current.rows, sha256 };
        await handlers.onTableEnd?.(current.name);
        current = null;
      } else if (kind === "manifest") {
        manifest = payload as typeof manifest;
        if (current) refuse(`the manifest comes before table ${current.name} ended`);
        const sha256 = whole.digest("hex");
        if (manifest!.sha256 !== sha256) refuse(`the bundle's checksum does not match (sha256 ${sha256}; recorded ${manifest!.sha256})`);
        for (const t of header!.tables) {
          if (!ended[t.name]) refuse(`table ${t.name} is missing`);
          const m = manifest!.tables[t.name];
          if (!m || m.rows !== ended[t.name]!.rows || m.sha256 !== ended[t.name]!.sha256)
            refuse(`the manifest disagrees on table ${t.name}`);
        }
      } else refuse(`unknown line kind ${JSON.stringify(kind)}`);
    }
  } catch (error) {
    if (error instanceof BackupRefused) throw error;
    throw new BackupRefused(`${file} cannot be read as a gzip bundle (${(error as Error).message}) at line ${n + 1}. Nothing was written.`);
  }
  if (!header) throw new BackupRefused(`${file} is empty: not a Policyplane backup.`);
  if (!manifest) throw new BackupRefused(`The bundle ends at line ${n} without its manifest (cut short?). Nothing was written.`);
  return {
    header,
    sha256: manifest.sha256,
    tables: Object.fromEntries(Object.entries(ended).map(([t, e]) => [t, e.rows])),
  };
}

/** A bundle's lines (read by the CLI's line reader, which detects gzip); a line over MAX_LINE_CHARS cannot be one of ours. */
async function* bundleLines(file: string): AsyncGenerator<string> {
  for await (const batch of lineBatches(file, MAX_LINE_CHARS))
    for (const line of batch) {
      if (typeof line !== "string") throw new Error(`a line over ${MAX_LINE_CHARS} characters`);
      yield line;
    }
}

/** Checks a bundle whole (structure, checksums) without a database. */
export async function checkBundle(file: string) {
  return readBundle(file);
}

export interface RestoreSummary {
  createdAt: string;
  sha256: string;
  tables: Record<string, number>;
  auditEvents: number;
}

/** Tables of the store that hold rows (those the migrations fill excepted): a restore needs none. */
async function occupiedTables(db: Queryable, tables: TableInfo[]): Promise<string[]> {
  const occupied: string[] = [];
  for (const t of tables) {
    if (SEEDED_BY_MIGRATIONS.includes(t.name)) continue;
    const [row] = await rowsOf<{ any: boolean }>(db, sql`select exists (select 1 from ${ident(t.name)}) as any`);
    if (row?.any) occupied.push(t.name);
  }
  return occupied;
}

/** Restores a bundle into an empty database in one transaction (see the module comment). */
export async function restoreBackup(db: Database, file: string, keyring: AuditKeyring): Promise<RestoreSummary> {
  const checked = await readBundle(file);
  const schema = schemaVersion();
  if (checked.header.schema !== schema)
    throw new BackupRefused(
      `The bundle was made at schema ${checked.header.schema}; this Policyplane is at ${schema}. Restore it with the version that made it, then upgrade. Nothing was written.`,
    );
  const tables = await bundledTables(db);
  const byName = new Map(tables.map((t) => [t.name, t]));
  for (const t of checked.header.tables) {
    const here = byName.get(t.name);
    if (!here || here.columns.join(",") !== t.columns.join(","))
      throw new BackupRefused(
        `The bundle's table ${t.name} does not match this database's (columns ${t.columns.join(", ")}). Nothing was written.`,
      );
  }
  const occupied = await occupiedTables(db, tables);
  if (occupied.length > 0)
    throw new BackupRefused(
      `Refusing to restore into a database that is not empty: ${occupied.slice(0, 5).join(", ")}${occupied.length > 5 ? ` and ${occupied.length - 5} more tables` : ""} hold rows. Restore into a new, empty database (it is migrated on first open). Nothing was written.`,
    );

  return db.transaction(async (tx) => {
    for (const name of SEEDED_BY_MIGRATIONS) if (byName.has(name)) await tx.execute(sql`delete from ${ident(name)}`);
    let batch: string[] = [];
    let bytes = 0;
    let held: string[] | null = null; // rows of a self-referencing table, ordered before inserting
    const flush = async (table: TableInfo) => {
      if (batch.length === 0) return;
      const columns = identList(table.columns);
      await tx.execute(
        sql`insert into ${ident(table.name)} (${columns}) overriding system value
            select ${columns} from json_populate_recordset(null::${ident(table.name)}, ${`[${batch.join(",")}]`}::json)`,
      );
      batch = [];
      bytes = 0;
    };
    const add = async (table: TableInfo, json: string) => {
      batch.push(json);
      bytes += json.length;
      if (batch.length >= INSERT_ROWS || bytes >= INSERT_BYTES) await flush(table);
    };
    const restored = await readBundle(file, {
      onRow: async (name, json) => {
        const table = byName.get(name)!;
        if (table.selfReferences.length > 0) (held ??= []).push(json);
        else await add(table, json);
      },
      onTableEnd: async (name) => {
        const table = byName.get(name)!;
        if (held) for (const json of parentsFirst(table, held)) await add(table, json);
        held = null;
        await flush(table);
        for (const column of table.sequenced)
          await tx.execute(
            sql`select setval(pg_get_serial_sequence(${`"${table.name.replace(/"/g, '""')}"`}, ${column}),
                  coalesce((select max(${ident(column)}) from ${ident(table.name)}), 0) + 1, false)`,
          );
      },
    });
    if (restored.sha256 !== checked.sha256) throw new BackupRefused("The bundle changed while it was being restored. Nothing was written.");

    const { result } = await walkChain(tx, keyring, []);
    if (!result.ok)
      throw new BackupRefused(
        `The restored audit chain does not verify with this installation's audit key (${result.reason}). Set AUDIT_KEY (and AUDIT_PREVIOUS_KEYS) to the keys of the installation the bundle came from. Nothing was written.`,
      );
    const ctx = { db: tx, actor: systemActor("policyplane restore"), requestId: `restore-${Date.now()}`, inTransaction: true };
    await recordAudit(ctx, {
      action: "backup.restored",
      targetType: "store",
      targetId: checked.sha256,
      targetLabel: `backup of ${checked.header.createdAt}`,
      after: { createdAt: checked.header.createdAt, schema, sha256: checked.sha256, verifiedEvents: result.checked },
    });
    return { createdAt: checked.header.createdAt, sha256: checked.sha256, tables: restored.tables, auditEvents: result.checked };
  });
}

/** A self-referencing table's rows, each after the row it refers to (an exception after the one it renews). */
export function parentsFirst(table: TableInfo, rows: string[]): string[] {
  const parsed = rows.map((json) => ({ json, row: JSON.parse(json) as Record<string, unknown> }));
  const keyOf = (row: Record<string, unknown>, columns: string[]) => JSON.stringify(columns.map((c) => row[c] ?? null));
  const out: string[] = [];
  const placed = new Set<number>();
  const known = new Map<string, number>(); // a referenced key → the row holding it
  for (const ref of table.selfReferences)
    parsed.forEach((p, i) => known.set(`${ref.references.join()}:${keyOf(p.row, ref.references)}`, i));
  const visit = (i: number, path: Set<number>) => {
    if (placed.has(i) || path.has(i)) return;
    path.add(i);
    for (const ref of table.selfReferences) {
      const values = ref.columns.map((c) => parsed[i]!.row[c] ?? null);
      if (values.some((v) => v === null)) continue;
      const parent = known.get(`${ref.references.join()}:${JSON.stringify(values)}`);
      if (parent !== undefined) visit(parent, path);
    }
    placed.add(i);
    out.push(parsed[i]!.json);
  };
  parsed.forEach((_, i) => visit(i, new Set()));
  return out;
}
