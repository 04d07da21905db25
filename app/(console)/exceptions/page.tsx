import type { Metadata } from "next";
import { NotBuiltYet, PageHeader } from "@/components/ui/primitives";

export const metadata: Metadata = { title: "Exceptions" };

export default function ExceptionsPage() {
  return (
    <>
      <PageHeader title="Exceptions" />
      <NotBuiltYet feature="Time-boxed exceptions" />
    </>
  );
}
