import type { Metadata } from "next";
import { Badge, Card, PageHeader, Table, Td } from "@/components/ui/primitives";
import { serverCaller } from "@/server/trpc/server";

export const metadata: Metadata = { title: "Clusters" };

export default async function ClustersPage() {
  const api = await serverCaller();
  const clusters = await api.org.clusters();
  return (
    <>
      <PageHeader
        title="Clusters"
        description="Registered clusters and what Policyplane knows of them. Registration, rollout waves and drift arrive with later features."
      />
      <Card>
        <Table head={["Cluster", "Region", "Environment", "Labels", "Namespaces", "Workloads"]}>
          {clusters.map((c) => (
            <tr key={c.id}>
              <Td className="font-medium text-slate-900">{c.name}</Td>
              <Td>{c.region}</Td>
              <Td>
                <Badge tone={c.environment === "production" ? "violet" : "blue"}>{c.environment}</Badge>
              </Td>
              <Td>
                <div className="flex flex-wrap gap-1">
                  {Object.entries(c.labels).map(([k, v]) => (
                    <Badge key={k}>
                      {k}={v}
                    </Badge>
                  ))}
                </div>
              </Td>
              <Td className="tabular-nums">{c.namespaces}</Td>
              <Td className="tabular-nums">{c.workloads}</Td>
            </tr>
          ))}
        </Table>
      </Card>
    </>
  );
}
