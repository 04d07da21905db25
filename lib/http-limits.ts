// Limits of every HTTP entry (REST under /api/v1, tRPC under /api/trpc),
// shared by the servers, the console's tRPC link and next.config.ts.

/** Largest request body accepted (413 above it, never truncated). */
export const MAX_REQUEST_BYTES = 10 * 1024 * 1024;
/** Most procedure calls in one tRPC batch request; the console's link splits larger batches. */
export const MAX_BATCH_SIZE = 20;
/** Deepest nesting of arrays and objects in a JSON request body (our inputs need a handful of levels). */
export const MAX_JSON_DEPTH = 32;
