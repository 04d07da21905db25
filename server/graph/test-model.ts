// Fixtures of the graph's tests: a workload and its one pod, as the inventory models them.
import type { PodInfo, WorkloadInfo } from "@/server/policy/model";

/** A Deployment of one pod labelled app=<name> (and tenant=<tenant>), with a named port per number. */
export function workload(
  namespace: string,
  name: string,
  ports: number[],
  tenant: string | null,
  extra: Record<string, string> = {},
): { w: WorkloadInfo; pod: PodInfo } {
  const labels = { app: name, ...(tenant ? { tenant } : {}), ...extra };
  const named = ports.map((port) => ({ name: `p${port}`, port, protocol: "TCP" as const }));
  return {
    w: { kind: "Deployment", namespace, name, labels, ports: named, hostNetwork: false, replicas: 1 },
    pod: {
      namespace,
      name: `${name}-0`,
      labels,
      ports: named,
      ips: [],
      hostNetwork: false,
      workload: { kind: "Deployment", name },
      fromTemplate: true,
    },
  };
}
