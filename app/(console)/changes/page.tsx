import type { Metadata } from "next";
import { ChangeList } from "@/components/changes/change-list";
import { PageHeader } from "@/components/ui/primitives";

export const metadata: Metadata = { title: "Changes" };

export default function ChangesPage() {
  return (
    <>
      <PageHeader
        title="Changes"
        description="Change requests bundle drafted policies for review. Nothing reaches a release without one."
      />
      <ChangeList />
    </>
  );
}
