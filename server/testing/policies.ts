/** The head of a namespace-tier policy of the demo's payments tenant over pods labelled `app`, up to its rules' list. */
function paymentsPolicyHead(name: string, description: string, app: string): string {
  return `apiVersion: policyplane.io/v1
kind: Policy
metadata:
  name: ${name}
  tenant: payments
  description: ${description}
spec:
  tier: namespace
  subject:
    namespaces: [payments]
    podSelector:
      matchLabels:
        app: ${app}
  rules:`;
}

// Test helper: a namespace-tier policy of the demo's payments tenant that lets
// payments-api reach api.stripe.com, as an author would write it: through the
// PCI egress gateway, as the demo's PCI constraint requires (without `via`, the
// lint finds a constraint-conflict error, which blocks submission).
export function paymentsEgressYaml(
  name: string,
  { port = 443, description = "Test policy", via = "pci-egress" }: { port?: number; description?: string; via?: string | null } = {},
): string {
  return `${paymentsPolicyHead(name, description, "payments-api")}
    - name: out
      direction: egress
      action: allow
      peers:
        - dns: api.stripe.com
      ports:
        - port: ${port}
          protocol: TCP
${via ? `      via: ${via}\n` : ""}`;
}

/** A namespace-tier policy of the demo's payments tenant: `app` (payments-api) accepts checkout-api on `port` (peers every CNI can say). */
export function paymentsIngressYaml(
  name: string,
  { port = 8080, app = "payments-api", description = "Test policy" }: { port?: number; app?: string; description?: string } = {},
): string {
  return `${paymentsPolicyHead(name, description, app)}
    - name: from-checkout
      direction: ingress
      action: allow
      peers:
        - workloads:
            namespaces: [checkout]
            podSelector:
              matchLabels:
                app: checkout-api
      ports:
        - port: ${port}
          protocol: TCP
`;
}

/** A namespace-tier policy of the demo's checkout tenant: promotions may reach the SMS provider (high criticality), which no constraint forbids. */
export function promotionsSmsYaml(name: string): string {
  return `apiVersion: policyplane.io/v1
kind: Policy
metadata:
  name: ${name}
  tenant: checkout
  description: Promotions send SMS offers
spec:
  tier: namespace
  subject:
    namespaces: [checkout]
    podSelector:
      matchLabels:
        app: promotions
  rules:
    - name: sms
      direction: egress
      action: allow
      peers:
        - dns: api.twilio.com
      ports:
        - port: 443
          protocol: TCP
`;
}

/** payments-db as the demo has it, its ingress from the given apps of the payments namespace: the tenant's own namespace-tier policy. */
export function paymentsDbYaml(description: string, apps: string[]): string {
  return `apiVersion: policyplane.io/v1
kind: Policy
metadata:
  name: payments-db
  owner: team-payments
  tenant: payments
  description: ${description}
spec:
  tier: namespace
  subject:
    namespaces: [payments]
    podSelector:
      matchLabels:
        app: payments-db
  rules:
    - name: from-owners
      direction: ingress
      action: allow
      peers:
${apps.map((a) => `        - workloads:\n            namespaces: [payments]\n            podSelector:\n              matchLabels:\n                app: ${a}`).join("\n")}
      ports:
        - port: postgres
          protocol: TCP
`;
}
