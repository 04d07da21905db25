import type { Metadata } from "next";
import { PageHeader } from "@/components/ui/primitives";
import { DatasetList } from "@/components/simulator/dataset-list";
import { RunList } from "@/components/simulator/run-list";
import { StartRun } from "@/components/simulator/start-run";
import { UploadDataset } from "@/components/simulator/upload-dataset";
import { WhatIf } from "@/components/simulator/what-if";

export const metadata: Metadata = { title: "Simulator" };

export default function SimulatorPage() {
  return (
    <>
      <PageHeader
        title="Simulator"
        description={
          <>
            Replay recorded traffic (Hubble flow logs, Policyplane JSON lines or CSV) against the current release and a proposal, or decide
            one flow by both at once. The CLI does the same in CI: <code>npx policyplane replay --flows … --baseline … --proposal …</code>.
          </>
        }
      />
      <div className="space-y-4">
        <UploadDataset />
        <DatasetList />
        <StartRun />
        <RunList />
        <WhatIf />
      </div>
    </>
  );
}
