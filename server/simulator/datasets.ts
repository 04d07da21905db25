import "server-only";
// Flow datasets: an upload streamed to a file under the data folder (never held in memory), its
// metadata in the database, scanned in a worker thread for records, bad lines and time range.
// Any member may upload; the uploader or an admin deletes.
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import { finished } from "node:stream/promises";
import { and, desc, eq } from "drizzle-orm";
import type { Queryable } from "@/db/client";
import { replayDatasets, replayRuns } from "@/db/schema";
import { MAX_DATASET_BYTES } from "@/lib/simulator";
import { formatSize } from "@/server/policy/read/bounded";
import { recordAudit } from "@/server/audit/record";
import { hasRole } from "@/server/auth/authorize";
import { withTransaction, type Actor, type ServiceContext } from "@/server/context";
import { env } from "@/server/env";
import { Conflict, Forbidden, InvalidInput, NotFound, TooLarge } from "@/server/errors";
import { perProcess } from "@/server/lib/per-process";
import { uploadDatasetInput, type DatasetIdInput, type UploadDatasetInput } from "./schemas";
import { startScan } from "./threads";

/** Where dataset files live: `datasets/` in the data folder (POLICYPLANE_DATA_DIR, else the embedded database's parent folder). */
export interface DatasetStore {
  dir: string;
  /** The largest upload it takes, in bytes (default MAX_DATASET_BYTES; tests lower it). */
  maxBytes?: number;
}

export function defaultDatasetStore(): DatasetStore {
  const dataDir = process.env.POLICYPLANE_DATA_DIR?.trim() || path.dirname(path.resolve(env().PGLITE_DIR));
  return { dir: path.join(dataDir, "datasets") };
}

export function datasetFile(store: DatasetStore, fileName: string): string {
  return path.join(store.dir, fileName);
}

const tooLarge = (maxBytes: number) =>
  new TooLarge(
    `A dataset may be at most ${maxBytes === MAX_DATASET_BYTES ? `${MAX_DATASET_BYTES / 1024 ** 3} GB` : formatSize(maxBytes)}.`,
  );

/** Background scans by dataset id (tests and shutdown wait for them). */
const scans = perProcess("DatasetScans", () => new Map<string, Promise<void>>());

/** Resolves when the dataset's scan (if one is under way) has finished and been stored. */
export async function datasetScanned(id: string): Promise<void> {
  await scans().get(id);
}

function mayUpload(actor: Actor): void {
  if (actor.grants.length === 0) throw new Forbidden("Uploading a dataset needs a role in the organisation.");
}

/**
 * Receives an upload: the body is written to a file as it arrives (nothing is kept in memory), then
 * the dataset is recorded (audited) and scanned in a worker thread. A declared or actual size over
 * the limit is refused (TooLarge) and nothing is kept.
 */
export async function uploadDataset({
  ctx,
  input: raw,
  body,
  declaredBytes,
  store = defaultDatasetStore(),
}: {
  ctx: ServiceContext;
  input: unknown;
  body: AsyncIterable<Uint8Array> | null;
  declaredBytes?: number;
  store?: DatasetStore;
}) {
  mayUpload(ctx.actor);
  const parsed = uploadDatasetInput.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InvalidInput(issue.message, issue.path.join(".") || "name");
  }
  const input: UploadDatasetInput = parsed.data;
  const maxBytes = store.maxBytes ?? MAX_DATASET_BYTES;
  if (declaredBytes !== undefined && declaredBytes > maxBytes) throw tooLarge(maxBytes);
  if (!body || declaredBytes === 0) throw new InvalidInput("The dataset is empty: send the file as the request body.", "body");

  await mkdir(store.dir, { recursive: true });
  const fileName = `${randomUUID()}.flows`;
  const partial = datasetFile(store, `${fileName}.partial`);
  const out = createWriteStream(partial, { flags: "wx" });
  let size = 0;
  let head: number[] = [];
  try {
    for await (const chunk of body) {
      size += chunk.byteLength;
      // A body without a declared length (or lying about it) is stopped as it crosses the limit.
      if (size > maxBytes) throw tooLarge(maxBytes);
      if (head.length < 2) head = [...head, ...chunk.subarray(0, 2 - head.length)];
      if (!out.write(chunk)) await once(out, "drain");
    }
    out.end();
    await finished(out);
    if (size === 0) throw new InvalidInput("The dataset is empty: send the file as the request body.", "body");
    await rename(partial, datasetFile(store, fileName));
  } catch (error) {
    out.destroy();
    await rm(partial, { force: true });
    throw error;
  }

  const gzip = head[0] === 0x1f && head[1] === 0x8b;
  let row;
  try {
    row = await withTransaction(ctx, async (tx) => {
      const [created] = await tx.db
        .insert(replayDatasets)
        .values({
          name: input.name,
          fileName,
          sizeBytes: size,
          format: input.format,
          gzip,
          uploaderId: ctx.actor.type === "user" ? ctx.actor.id : null,
          uploaderLabel: ctx.actor.label,
        })
        .returning();
      await recordAudit(tx, {
        action: "dataset.upload",
        targetType: "replay_dataset",
        targetId: created!.id,
        targetLabel: input.name,
        after: { name: input.name, sizeBytes: size, format: input.format, gzip },
      });
      return created!;
    });
  } catch (error) {
    await rm(datasetFile(store, fileName), { force: true });
    throw error;
  }
  scans().set(row.id, scanInBackground(ctx.db, store, row.id, fileName, input.format));
  return toDatasetView(row, ctx.actor);
}

async function scanInBackground(db: Queryable, store: DatasetStore, id: string, fileName: string, format: "auto" | "csv") {
  try {
    const result = await startScan({ file: datasetFile(store, fileName), format }).result;
    // A dataset deleted meanwhile updates nothing.
    await db
      .update(replayDatasets)
      .set(
        result.ok
          ? {
              state: "ready",
              textChars: result.textChars,
              recordCount: result.records,
              flowCount: result.flows,
              badLineCount: result.badLineCount,
              badLines: result.badLines,
              timeFrom: result.timeFrom === null ? null : new Date(result.timeFrom),
              timeTo: result.timeTo === null ? null : new Date(result.timeTo),
            }
          : { state: "failed", error: result.error },
      )
      .where(eq(replayDatasets.id, id));
  } catch (error) {
    console.error(`[simulator] scanning dataset ${id} failed`, error);
    await db
      .update(replayDatasets)
      .set({ state: "failed", error: "the dataset could not be read" })
      .where(eq(replayDatasets.id, id))
      .catch(() => undefined);
  } finally {
    scans().delete(id);
  }
}

type DatasetRow = typeof replayDatasets.$inferSelect;

function mayDelete(actor: Actor, row: Pick<DatasetRow, "uploaderId">): boolean {
  return (actor.type === "user" && row.uploaderId === actor.id) || hasRole(actor, "admin");
}

function toDatasetView(row: DatasetRow, actor: Actor) {
  const { fileName: _file, textChars: _chars, ...rest } = row;
  return { ...rest, mayDelete: mayDelete(actor, row) };
}
export type DatasetView = ReturnType<typeof toDatasetView>;

export async function listDatasets({ ctx }: { ctx: ServiceContext }): Promise<DatasetView[]> {
  const rows = await ctx.db.select().from(replayDatasets).orderBy(desc(replayDatasets.createdAt)).limit(200);
  return rows.map((r) => toDatasetView(r, ctx.actor));
}

export async function loadDataset(db: Queryable, id: string): Promise<DatasetRow> {
  const [row] = await db.select().from(replayDatasets).where(eq(replayDatasets.id, id));
  if (!row) throw new NotFound("No such dataset.");
  return row;
}

export async function getDataset({ ctx, input }: { ctx: ServiceContext; input: DatasetIdInput }): Promise<DatasetView> {
  return toDatasetView(await loadDataset(ctx.db, input.id), ctx.actor);
}

/** Deletes a dataset (its runs with it) and its file: the uploader or an admin, never while a run reads it. */
export async function deleteDataset({
  ctx,
  input,
  store = defaultDatasetStore(),
}: {
  ctx: ServiceContext;
  input: DatasetIdInput;
  store?: DatasetStore;
}): Promise<{ deleted: string }> {
  const row = await withTransaction(ctx, async (tx) => {
    const found = await loadDataset(tx.db, input.id);
    if (!mayDelete(ctx.actor, found)) throw new Forbidden("Only the person who uploaded a dataset, or an admin, may delete it.");
    const [running] = await tx.db
      .select({ id: replayRuns.id })
      .from(replayRuns)
      .where(and(eq(replayRuns.datasetId, found.id), eq(replayRuns.state, "running")))
      .limit(1);
    if (running) throw new Conflict("A run is replaying this dataset: cancel it first.");
    await tx.db.delete(replayDatasets).where(eq(replayDatasets.id, found.id));
    await recordAudit(tx, {
      action: "dataset.delete",
      targetType: "replay_dataset",
      targetId: found.id,
      targetLabel: found.name,
      before: { name: found.name, sizeBytes: found.sizeBytes, uploader: found.uploaderLabel },
    });
    return found;
  });
  await rm(datasetFile(store, row.fileName), { force: true });
  return { deleted: row.id };
}
