/** How many rows an UPDATE or DELETE through `db.execute` touched, whichever driver ran it (PGlite, postgres.js, node-postgres). */
export const affectedRows = (result: unknown): number => {
  const r = result as { rowCount?: number | null; affectedRows?: number; count?: number; length?: number };
  return r.rowCount ?? r.affectedRows ?? r.count ?? 0;
};
