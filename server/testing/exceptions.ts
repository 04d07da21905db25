// The exception the exception tests request: staging's checkout/cart reading payments/ledger on
// one port, from a window they give (the cluster's desired state, the graph and the flows see it).
import type { RequestExceptionInput } from "@/server/exceptions/schemas";

export const CART_LEDGER_CLUSTER = "staging-eu-1";

export function cartReadsLedger(title: string, window: { startsAt: number; expiresAt: number }, port = 9090): RequestExceptionInput {
  return {
    title,
    flow: {
      direction: "egress",
      source: { namespace: "checkout", labels: { app: "cart" } },
      destination: { kind: "workload", namespace: "payments", labels: { app: "ledger" } },
      ports: [{ port, protocol: "TCP" }],
      clusters: [CART_LEDGER_CLUSTER],
    },
    justification: "The price service moves next sprint; until then the cart reads prices directly.",
    ticket: "CHK-4321",
    startsAt: new Date(window.startsAt).toISOString(),
    expiresAt: new Date(window.expiresAt).toISOString(),
  };
}
