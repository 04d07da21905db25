import "server-only";
// Approved exceptions as the engine's `Exception` documents. Every evaluation
// the console makes (graph, what-if, lint, the request preview) adds these; the
// engine counts each one only while startsAt ≤ t < expiresAt, to the
// millisecond, whether or not the sweeper has moved it to "expired" yet.
import { asc, eq } from "drizzle-orm";
import type { Queryable } from "@/db/client";
import { exceptions, type ExceptionRow } from "@/db/schema";
import type { StoredDocument } from "@/server/drafts/documents";
import type { ExceptionDocument } from "@/server/policy/documents/schema";
import { exceptionDocumentName, exceptionDocumentOf } from "./document";

export interface ExceptionInForce {
  number: number;
  contentHash: string;
  document: ExceptionDocument;
  /** What compute/lint take as the document's version. */
  version: string;
}

export const documentOfRow = (e: Pick<ExceptionRow, "number" | "flow" | "startsAt" | "expiresAt" | "justification">) =>
  exceptionDocumentOf(exceptionDocumentName(e.number), e.flow, { startsAt: e.startsAt, expiresAt: e.expiresAt }, e.justification);

export async function approvedExceptionDocuments(db: Queryable): Promise<ExceptionInForce[]> {
  const rows = await db.select().from(exceptions).where(eq(exceptions.state, "approved")).orderBy(asc(exceptions.number));
  return rows.map((e) => ({ number: e.number, contentHash: e.contentHash, document: documentOfRow(e), version: `E-${e.number}` }));
}

/** Whether the exception counts at `now`: startsAt ≤ now < expiresAt, to the millisecond, as the engine and the compiler judge it. */
export function inWindowAt(e: ExceptionInForce, now: Date): boolean {
  const { startsAt, expiresAt } = e.document.spec;
  const t = now.getTime();
  return (startsAt === undefined || Date.parse(startsAt) <= t) && t < Date.parse(expiresAt);
}

/** An approved exception as one of the documents in force (what lint and the change impact read). */
export const storedException = (e: ExceptionInForce): StoredDocument => ({
  policyId: `exception:${e.number}`,
  name: e.document.metadata.name,
  kind: "Exception",
  tier: "exception",
  tenantId: null,
  version: e.number,
  document: e.document,
});

/**
 * A release's documents with the approved exceptions added: what a cluster's desired state is
 * compiled from, so the clusters get what the graph shows. The compiler leaves out each exception
 * outside its window at the render's instant, so a start or an expiry changes the desired state.
 */
export async function withApprovedExceptions(db: Queryable, documents: readonly StoredDocument[]): Promise<StoredDocument[]> {
  return [...documents, ...(await approvedExceptionDocuments(db)).map(storedException)];
}

/** The exception's compiled objects among `objects` (named by the compiler's source annotation). */
export function exceptionObjectsIn<T extends { metadata: Record<string, unknown> }>(objects: readonly T[], number: number): T[] {
  const source = `Exception/${exceptionDocumentName(number)}`;
  return objects.filter((o) => {
    const annotations = o.metadata.annotations as Record<string, unknown> | undefined;
    const from = annotations?.["policyplane.io/source"];
    return typeof from === "string" && from.split(",").includes(source);
  });
}
