import type { Metadata } from "next";
import { NotBuiltYet, PageHeader } from "@/components/ui/primitives";

export const metadata: Metadata = { title: "Violations" };

export default function ViolationsPage() {
  return (
    <>
      <PageHeader title="Violations" />
      <NotBuiltYet feature="Violation and drift monitoring" />
    </>
  );
}
