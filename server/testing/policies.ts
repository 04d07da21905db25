// Test helper: a namespace-tier policy of the demo's payments tenant that lets
// payments-api reach api.stripe.com, as an author would write it.
export function paymentsEgressYaml(
  name: string,
  { port = 443, description = "Test policy" }: { port?: number; description?: string } = {},
): string {
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
        app: payments-api
  rules:
    - name: out
      direction: egress
      action: allow
      peers:
        - dns: api.stripe.com
      ports:
        - port: ${port}
          protocol: TCP
`;
}
