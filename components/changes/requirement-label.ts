// How the console words one approval requirement ("1 × application of tenant payments"), in the
// checklist, the rule list and the rule preview alike.
export function requirementLabel(q: {
  count: number;
  function: string;
  scope: "owning-tenant" | "organisation";
  tenant?: string | null;
}): string {
  const where =
    q.scope === "organisation"
      ? " (organisation-wide)"
      : q.tenant
        ? ` of tenant ${q.tenant}`
        : q.tenant === undefined
          ? " of the owning tenant"
          : "";
  return `${q.count} × ${q.function}${where}`;
}
