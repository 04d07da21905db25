import type { Metadata } from "next";
import { ReviewQueue } from "@/components/changes/review-queue";
import { PageHeader } from "@/components/ui/primitives";

export const metadata: Metadata = { title: "Reviews" };

export default function ReviewsPage() {
  return (
    <>
      <PageHeader
        title="Reviews"
        description="Change requests waiting for an approval your committee function can give, oldest first. Your own changes never appear here."
      />
      <ReviewQueue />
    </>
  );
}
