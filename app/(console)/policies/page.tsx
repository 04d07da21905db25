import type { Metadata } from "next";
import { NotBuiltYet, PageHeader } from "@/components/ui/primitives";

export const metadata: Metadata = { title: "Policies" };

export default function PoliciesPage() {
  return (
    <>
      <PageHeader title="Policies" />
      <NotBuiltYet feature="Policy authoring (the policy list, editor, templates and history)" />
    </>
  );
}
