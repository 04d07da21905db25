// Inputs of the Simulator's dataset and run services.
import { z } from "zod";
import { DATASET_FORMATS } from "@/db/schema";
import { REPLAY_CHANGES } from "@/lib/simulator";

export const datasetName = z.string().trim().min(1, "Give the dataset a name").max(200, "At most 200 characters");

export const uploadDatasetInput = z.object({
  name: datasetName,
  /** auto: Hubble or Policyplane JSON lines, detected per line; csv: a header, then one record per line. */
  format: z.enum(DATASET_FORMATS).default("auto"),
});
export type UploadDatasetInput = z.infer<typeof uploadDatasetInput>;

export const datasetIdInput = z.object({ id: z.uuid("Not a dataset id") });
export type DatasetIdInput = z.infer<typeof datasetIdInput>;

const isoTime = z.iso.datetime({ offset: true, message: "Expected a date and time (ISO 8601)" });

export const startRunInput = z
  .object({
    datasetId: z.uuid("Not a dataset id"),
    /** The change request's number, or null: the pending drafts. */
    changeNumber: z.number().int().min(1).nullable(),
    /** The cluster whose inventory the records resolve through (default: the first by name). */
    cluster: z.string().min(1).max(120).optional(),
    from: isoTime.optional(),
    to: isoTime.optional(),
  })
  .refine((v) => !v.from || !v.to || Date.parse(v.from) <= Date.parse(v.to), { message: "The window ends before it starts", path: ["to"] });
export type StartRunInput = z.infer<typeof startRunInput>;

export const runIdInput = z.object({ id: z.uuid("Not a run id") });
export type RunIdInput = z.infer<typeof runIdInput>;

export const runPathsInput = z.object({
  id: z.uuid("Not a run id"),
  change: z.enum(REPLAY_CHANGES).optional(),
  /** Matches source or destination (substring, case-insensitive). */
  search: z.string().max(200).optional(),
  port: z.number().int().min(1).max(65535).optional(),
  sort: z.enum(["flows", "src", "dst", "port", "firstSeen", "lastSeen"]).default("flows"),
  direction: z.enum(["asc", "desc"]).default("desc"),
  limit: z.number().int().min(1).max(500).default(100),
  offset: z.number().int().min(0).default(0),
});
export type RunPathsInput = z.infer<typeof runPathsInput>;

export const runOverlayInput = z.object({
  id: z.uuid("Not a run id"),
  /** The graph's cluster; "all" for every cluster's rows. */
  cluster: z.string().trim().min(1, "Name a cluster (or all)").max(120),
});
export type RunOverlayInput = z.infer<typeof runOverlayInput>;

export const runSamplesInput = z.object({ id: z.uuid("Not a run id"), pathId: z.uuid("Not a path id") });
export type RunSamplesInput = z.infer<typeof runSamplesInput>;

export const changeRunInput = z.object({ number: z.number().int().min(1) });
export type ChangeRunInput = z.infer<typeof changeRunInput>;
