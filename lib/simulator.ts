// The Simulator's limits and vocabularies, shared by the browser (upload form, result page) and the server.

/** Largest dataset accepted (413 above it; nothing is kept). */
export const MAX_DATASET_BYTES = 2 * 1024 * 1024 * 1024;
/** A record line is one flow (as the CLI bounds it); a longer line is a bad line, skipped without being held. */
export const RECORD_LINE_MAX_CHARS = 1 << 20;
/** The upload endpoint (under the REST app, authenticated like it; the body is streamed to disk). */
export const DATASET_UPLOAD_PATH = "/api/v1/replay/datasets";

export const CHANGE_LABELS = {
  "newly-denied": "allow → deny",
  "newly-allowed": "deny → allow",
  "unchanged-allow": "unchanged allow",
  "unchanged-deny": "unchanged deny",
} as const;
export type ReplayChange = keyof typeof CHANGE_LABELS;
export const REPLAY_CHANGES = Object.keys(CHANGE_LABELS) as ReplayChange[];
