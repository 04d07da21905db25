/** How many rows an UPDATE or DELETE through `db.execute` touched, whichever driver ran it (PGlite, postgres.js, node-postgres). */
export const affectedRows = (result: unknown): number => {
  const r = result as { rowCount?: number | null; affectedRows?: number; count?: number; length?: number };
  return r.rowCount ?? r.affectedRows ?? r.count ?? 0;
};

/**
 * Runs a statement that touches at most `chunk` rows (… limit chunk for update skip locked) until a run
 * touches fewer: a sweep in bounded transactions that several replicas can share. Returns the rows touched.
 */
export async function inChunks(chunk: number, run: () => Promise<unknown>): Promise<number> {
  let total = 0;
  for (;;) {
    const n = affectedRows(await run());
    total += n;
    if (n < chunk) return total;
  }
}
