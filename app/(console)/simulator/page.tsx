import type { Metadata } from "next";
import { PageHeader } from "@/components/ui/primitives";
import { WhatIf } from "@/components/simulator/what-if";

export const metadata: Metadata = { title: "Simulator" };

export default function SimulatorPage() {
  return (
    <>
      <PageHeader
        title="Simulator"
        description={
          <>
            Decide a flow by the current release and by a proposal at once. Recorded traffic (Hubble flow logs) is replayed with{" "}
            <code>npx policyplane replay --flows … --baseline … --proposal …</code>; uploading datasets here is not built yet.
          </>
        }
      />
      <WhatIf />
    </>
  );
}
