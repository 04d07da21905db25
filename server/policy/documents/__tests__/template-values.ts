/** Test support: parameter values that instantiate each built-in template against the demo shop. */
export const TEMPLATE_VALUES: Record<string, Record<string, unknown>> = {
  "dns-to-kube-dns": { tenant: "checkout", namespace: "checkout" },
  "egress-to-critical-service": { tenant: "checkout", namespace: "checkout", app: "checkout-api", service: "payments/payments-api" },
  "ingress-from-ingress-controller": { tenant: "checkout", namespace: "checkout", app: "checkout-web", port: 3000 },
  "internet-egress-via-gateway": {
    tenant: "payments",
    namespace: "payments",
    app: "psp-adapter",
    hosts: ["api.stripe.com", "*.adyen.com"],
    gateway: "pci-egress",
  },
  "namespace-default-deny": { tenant: "checkout", namespace: "checkout" },
  "tenant-east-west-isolation": { tenant: "catalog" },
};
