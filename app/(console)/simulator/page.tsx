import type { Metadata } from "next";
import { NotBuiltYet, PageHeader } from "@/components/ui/primitives";

export const metadata: Metadata = { title: "Simulator" };

export default function SimulatorPage() {
  return (
    <>
      <PageHeader title="Simulator" />
      <NotBuiltYet feature="The replay simulator" />
    </>
  );
}
