// Change-request comments: shared by the database schema, the services and the console.

/** Which side of a policy's side-by-side diff a line comment is on. */
export const COMMENT_SIDES = ["released", "proposed"] as const;
/** Longest comment, in characters (the service refuses longer ones by size; the database backs it). */
export const MAX_COMMENT_CHARS = 10_000;
