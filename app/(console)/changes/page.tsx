import type { Metadata } from "next";
import { NotBuiltYet, PageHeader } from "@/components/ui/primitives";

export const metadata: Metadata = { title: "Changes" };

export default function ChangesPage() {
  return (
    <>
      <PageHeader title="Changes" />
      <NotBuiltYet feature="The change-request workflow" />
    </>
  );
}
