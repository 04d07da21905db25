import type { Metadata } from "next";
import { ReleaseList } from "@/components/releases/release-list";
import { PageHeader } from "@/components/ui/primitives";

export const metadata: Metadata = { title: "Releases" };

export default function ReleasesPage() {
  return (
    <>
      <PageHeader title="Releases" description="Each release is an immutable, numbered snapshot of the whole policy set, made from an approved change request." />
      <ReleaseList />
    </>
  );
}
