// Lint errors block a change request's submission (issue 13 §2). How one such
// error is named, shared by the server's refusal and the change page (pure).

/** A lint error that keeps a change from review: where it is and what it says. */
export interface BlockingFinding {
  id: string;
  severity?: "error" | "warning" | "info";
  /** `Kind/name`; absent for an organisation-wide finding (a cluster's compile check). */
  document?: string;
  path: string;
  line?: number;
  message: string;
}

/**
 * Only errors block: warnings and infos are shown, never in the way. A compile disagreement (the
 * compiled objects would decide a flow unlike the platform) is an error the release refuses
 * (issue 10): the change page shows it, the submission's lint does not run the compile check.
 */
export const blocksSubmission = (f: { id: string; severity: "error" | "warning" | "info" }): boolean =>
  f.severity === "error" && f.id !== "compile-disagreement";

/** `Policy/payments-sms line 18 (spec.rules[0].peers[0]): constraint-conflict: …` */
export function describeBlockingFinding(f: BlockingFinding): string {
  const where = f.document ? `${f.document}${f.line ? ` line ${f.line}` : ""} (${f.path})` : f.path || "the policy set";
  return `${where}: ${f.id}: ${f.message}`;
}
