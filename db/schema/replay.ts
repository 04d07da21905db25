// The replay simulator's console side: uploaded flow datasets (the file lives under the data
// folder, its metadata here) and runs comparing the release with a proposal over one of them,
// their totals and their rows grouped by path. A run's rows are written in one transaction when
// it finishes, so a cancelled or failed run has none.
import { bigint, boolean, index, integer, jsonb, pgTable, real, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { user } from "./auth";
import { changeRequests } from "./policy";

export const DATASET_FORMATS = ["auto", "csv"] as const;
export const DATASET_STATES = ["scanning", "ready", "failed"] as const;
export const RUN_STATES = ["running", "succeeded", "failed", "cancelled"] as const;
export const RUN_CHANGES = ["newly-denied", "newly-allowed", "unchanged-allow", "unchanged-deny"] as const;

export interface DatasetBadLine {
  line: number;
  reason: string;
}

export interface RunTotals {
  records: number;
  unreadable: number;
  /** Records outside the run's time window (not decided). */
  outsideWindow: number;
  flows: number;
  changes: Record<(typeof RUN_CHANGES)[number], { flows: number; paths: number }>;
}

export const replayDatasets = pgTable(
  "replay_datasets",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    name: text("name").notNull(),
    /** The file's name inside the data folder's datasets/ directory. */
    fileName: text("file_name").notNull(),
    sizeBytes: bigint("size_bytes", { mode: "number" }).notNull(),
    format: text("format", { enum: DATASET_FORMATS }).notNull(),
    gzip: boolean("gzip").notNull().default(false),
    state: text("state", { enum: DATASET_STATES }).notNull().default("scanning"),
    /** Why the dataset cannot be read at all (a bad CSV header, an unreadable file). */
    error: text("error"),
    /** Characters of text (after gunzip): what a run's reading progress is measured against. */
    textChars: bigint("text_chars", { mode: "number" }),
    recordCount: integer("record_count"),
    flowCount: bigint("flow_count", { mode: "number" }),
    badLineCount: integer("bad_line_count"),
    /** The first bad lines, by line number, with the reason. */
    badLines: jsonb("bad_lines").$type<DatasetBadLine[]>(),
    timeFrom: timestamp("time_from", { withTimezone: true }),
    timeTo: timestamp("time_to", { withTimezone: true }),
    uploaderId: text("uploader_id").references(() => user.id, { onDelete: "set null" }),
    uploaderLabel: text("uploader_label").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("replay_datasets_created").on(t.createdAt)],
);

export const replayRuns = pgTable(
  "replay_runs",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    datasetId: uuid("dataset_id")
      .notNull()
      .references(() => replayDatasets.id, { onDelete: "cascade" }),
    cluster: text("cluster").notNull(),
    /** "drafts" or "cr" (then changeRequestId). */
    proposalKind: text("proposal_kind", { enum: ["drafts", "cr"] }).notNull(),
    changeRequestId: uuid("change_request_id").references(() => changeRequests.id, { onDelete: "cascade" }),
    /** What the baseline was: "release #N" (the release in force when the run started). */
    baselineLabel: text("baseline_label").notNull(),
    proposalLabel: text("proposal_label").notNull(),
    windowFrom: timestamp("window_from", { withTimezone: true }),
    windowTo: timestamp("window_to", { withTimezone: true }),
    state: text("state", { enum: RUN_STATES }).notNull().default("running"),
    phase: text("phase").notNull().default("starting"),
    progress: real("progress").notNull().default(0),
    etaSeconds: integer("eta_seconds"),
    error: text("error"),
    totals: jsonb("totals").$type<RunTotals>(),
    startedById: text("started_by_id").references(() => user.id, { onDelete: "set null" }),
    startedByLabel: text("started_by_label").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
  },
  (t) => [index("replay_runs_dataset").on(t.datasetId), index("replay_runs_change").on(t.changeRequestId, t.createdAt)],
);

export const replayRunPaths = pgTable(
  "replay_run_paths",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    runId: uuid("run_id")
      .notNull()
      .references(() => replayRuns.id, { onDelete: "cascade" }),
    /** The cluster the records were decided in: the same workload name in two clusters is two rows. */
    cluster: text("cluster"),
    src: text("src").notNull(),
    dst: text("dst").notNull(),
    port: integer("port").notNull(),
    protocol: text("protocol").notNull(),
    change: text("change", { enum: RUN_CHANGES }).notNull(),
    baseline: text("baseline").notNull(),
    proposal: text("proposal").notNull(),
    flows: bigint("flows", { mode: "number" }).notNull(),
    records: integer("records").notNull(),
    firstSeen: timestamp("first_seen", { withTimezone: true }).notNull(),
    lastSeen: timestamp("last_seen", { withTimezone: true }).notNull(),
    baselinePath: text("baseline_path").notNull(),
    proposalPath: text("proposal_path").notNull(),
    sampleLines: jsonb("sample_lines").$type<number[]>().notNull(),
  },
  (t) => [index("replay_run_paths_run").on(t.runId, t.change)],
);
