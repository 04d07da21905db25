// A valid namespace policy of the demo organisation (tenant payments) grown
// to at most `bytes` of YAML (a few hundred short) with distinct egress rules: real engine work for
// the worker-pool test, the e2e hostile-input test and bench/event-loop.ts.
export function largePolicyYaml(bytes: number, name = "payments-large"): string {
  const head = `apiVersion: policyplane.io/v1
kind: Policy
metadata:
  name: ${name}
  tenant: payments
  description: Many egress destinations
spec:
  tier: namespace
  subject:
    namespaces: [payments]
    podSelector:
      matchLabels:
        app: payments-api
  rules:
`;
  const rules: string[] = [];
  let size = head.length;
  for (let i = 0; ; i++) {
    const rule = `    - name: out-${i}
      direction: egress
      action: allow
      peers:
        - dns: api-${i}.partner-${i % 97}.example.com
        - cidr: 10.${(i >> 8) & 255}.${i & 255}.0/24
      ports:
        - port: ${1024 + (i % 60000)}
          protocol: TCP
`;
    if (size + rule.length > bytes) break;
    rules.push(rule);
    size += rule.length;
  }
  return head + rules.join("");
}
