import type { Metadata } from "next";
import { NotBuiltYet, PageHeader } from "@/components/ui/primitives";

export const metadata: Metadata = { title: "Graph" };

export default function GraphPage() {
  return (
    <>
      <PageHeader title="Graph" />
      <NotBuiltYet feature="The graph of allowed app-to-service paths" />
    </>
  );
}
