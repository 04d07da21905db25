import type { Metadata } from "next";
import { AuditLog } from "@/components/audit/audit-log";
import { PageHeader } from "@/components/ui/primitives";

export const metadata: Metadata = { title: "Audit" };

export default function AuditPage() {
  return (
    <>
      <PageHeader
        title="Audit trail"
        description="Every change, approval and administrative action, append-only and hash-chained: editing, deleting or reordering any event breaks the chain."
      />
      <AuditLog />
    </>
  );
}
