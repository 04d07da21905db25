/**
 * Core kinds are validated as the API server validates them. Each row names the
 * k8s.io/apimachinery (or k8s.io/kubernetes pkg/apis/.../validation) function
 * whose rule it pins, the field, a value, and whether the API server accepts it;
 * a refusal must be located (file:line:col) at the field's path.
 */
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { readManifestSources } from "./manifests";

type Obj = Record<string, unknown>;
const np = (spec: Obj, metadata: Obj = {}): Obj => ({
  apiVersion: "networking.k8s.io/v1",
  kind: "NetworkPolicy",
  metadata: { name: "p", namespace: "shop", ...metadata },
  spec: { podSelector: {}, ...spec },
});
const ns = (name: string): Obj => ({ apiVersion: "v1", kind: "Namespace", metadata: { name } });
const pod = (metadata: Obj, ports: Obj[] = []): Obj => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "web", namespace: "shop", ...metadata },
  spec: { containers: [{ name: "c", ports }] },
});
const svc = (name: string): Obj => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { name, namespace: "shop" },
  spec: { ports: [{ port: 80 }] },
});
const deploy = (name: string, labels: Obj = { app: "web" }): Obj => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name, namespace: "shop" },
  spec: { selector: { matchLabels: { app: "web" } }, template: { metadata: { labels }, spec: { containers: [{ name: "c" }] } } },
});
const ingressPort = (port: Obj): Obj => np({ ingress: [{ ports: [port] }] });
const ipBlock = (block: Obj): Obj => np({ egress: [{ to: [{ ipBlock: block }] }] });

interface Row {
  rule: string;
  what: string;
  object: Obj;
  ok: boolean;
  /** Path of the refused field. */
  at?: string;
}

const long = (n: number, c = "a") => c.repeat(n);
const name63 = `a${long(61, "b")}c`;

const ROWS: Row[] = [
  // metadata.name by kind
  {
    rule: "ValidateNetworkPolicyName = NameIsDNSSubdomain",
    what: "NetworkPolicy name allow-web",
    object: np({}, { name: "allow-web" }),
    ok: true,
  },
  {
    rule: "ValidateNetworkPolicyName = NameIsDNSSubdomain",
    what: "NetworkPolicy name with dots",
    object: np({}, { name: "allow.web.v1" }),
    ok: true,
  },
  {
    rule: "ValidateNetworkPolicyName = NameIsDNSSubdomain",
    what: "NetworkPolicy name Bad_Name!",
    object: np({}, { name: "Bad_Name!" }),
    ok: false,
    at: "metadata.name",
  },
  {
    rule: "ValidateNetworkPolicyName = NameIsDNSSubdomain",
    what: "NetworkPolicy name in capitals",
    object: np({}, { name: "AllowWeb" }),
    ok: false,
    at: "metadata.name",
  },
  {
    rule: "ValidateNetworkPolicyName = NameIsDNSSubdomain",
    what: "NetworkPolicy name starting with '-'",
    object: np({}, { name: "-web" }),
    ok: false,
    at: "metadata.name",
  },
  {
    rule: "IsDNS1123Subdomain (DNS1123SubdomainMaxLength 253)",
    what: "name of 253 characters",
    object: np({}, { name: long(253) }),
    ok: true,
  },
  {
    rule: "IsDNS1123Subdomain (DNS1123SubdomainMaxLength 253)",
    what: "name of 254 characters",
    object: np({}, { name: long(254) }),
    ok: false,
    at: "metadata.name",
  },
  { rule: "ValidatePodName = NameIsDNSSubdomain", what: "Pod name web-0.shop", object: pod({ name: "web-0.shop" }), ok: true },
  { rule: "ValidatePodName = NameIsDNSSubdomain", what: "Pod name web_0", object: pod({ name: "web_0" }), ok: false, at: "metadata.name" },
  {
    rule: "ValidateDeploymentName = NameIsDNSSubdomain",
    what: "Deployment name Web",
    object: deploy("Web"),
    ok: false,
    at: "metadata.name",
  },
  { rule: "ValidateNamespaceName = NameIsDNSLabel (IsDNS1123Label)", what: "Namespace shop", object: ns("shop"), ok: true },
  {
    rule: "ValidateNamespaceName = NameIsDNSLabel (IsDNS1123Label)",
    what: "Namespace 1shop (a digit first is a valid label)",
    object: ns("1shop"),
    ok: true,
  },
  {
    rule: "ValidateNamespaceName = NameIsDNSLabel (IsDNS1123Label)",
    what: "Namespace with a dot",
    object: ns("shop.eu"),
    ok: false,
    at: "metadata.name",
  },
  { rule: "IsDNS1123Label (DNS1123LabelMaxLength 63)", what: "Namespace of 63 characters", object: ns(name63), ok: true },
  {
    rule: "IsDNS1123Label (DNS1123LabelMaxLength 63)",
    what: "Namespace of 64 characters",
    object: ns(`${name63}d`),
    ok: false,
    at: "metadata.name",
  },
  {
    rule: "ValidateObjectMeta: namespace is ValidateNamespaceName",
    what: "metadata.namespace with a dot",
    object: np({}, { namespace: "shop.eu" }),
    ok: false,
    at: "metadata.namespace",
  },
  { rule: "ValidateServiceName = NameIsDNS1035Label", what: "Service api-v1", object: svc("api-v1"), ok: true },
  {
    rule: "ValidateServiceName = NameIsDNS1035Label",
    what: "Service starting with a digit",
    object: svc("1api"),
    ok: false,
    at: "metadata.name",
  },
  { rule: "ValidateServiceName = NameIsDNS1035Label", what: "Service with a dot", object: svc("api.v1"), ok: false, at: "metadata.name" },
  // labels
  { rule: "ValidateLabels: IsQualifiedName", what: "label key app", object: pod({ labels: { app: "web" } }), ok: true },
  {
    rule: "ValidateLabels: IsQualifiedName",
    what: "label key with a prefix",
    object: pod({ labels: { "app.kubernetes.io/name": "web" } }),
    ok: true,
  },
  {
    rule: "ValidateLabels: IsQualifiedName",
    what: "label key name part with capitals, '_' and '.'",
    object: pod({ labels: { "example.com/My_Key.1": "x" } }),
    ok: true,
  },
  {
    rule: "ValidateLabels: IsQualifiedName",
    what: "label key with an empty prefix",
    object: pod({ labels: { "/name": "x" } }),
    ok: false,
    at: "metadata.labels./name",
  },
  {
    rule: "ValidateLabels: IsQualifiedName",
    what: "label key prefix in capitals",
    object: pod({ labels: { "Example.com/name": "x" } }),
    ok: false,
    at: "metadata.labels.Example.com/name",
  },
  {
    rule: "ValidateLabels: IsQualifiedName",
    what: "label key with two '/'",
    object: pod({ labels: { "a/b/c": "x" } }),
    ok: false,
    at: "metadata.labels.a/b/c",
  },
  {
    rule: "ValidateLabels: IsQualifiedName (name ≤ 63)",
    what: "label key name of 63 characters",
    object: pod({ labels: { [name63]: "x" } }),
    ok: true,
  },
  {
    rule: "ValidateLabels: IsQualifiedName (name ≤ 63)",
    what: "label key name of 64 characters",
    object: pod({ labels: { [`${name63}d`]: "x" } }),
    ok: false,
    at: `metadata.labels.${name63}d`,
  },
  { rule: "ValidateLabels: IsValidLabelValue", what: "empty label value", object: pod({ labels: { app: "" } }), ok: true },
  { rule: "ValidateLabels: IsValidLabelValue", what: "label value v1.2_3-x", object: pod({ labels: { app: "v1.2_3-x" } }), ok: true },
  {
    rule: "ValidateLabels: IsValidLabelValue (≤ 63)",
    what: "label value of 64 characters",
    object: pod({ labels: { app: long(64) } }),
    ok: false,
    at: "metadata.labels.app",
  },
  {
    rule: "ValidateLabels: IsValidLabelValue",
    what: "label value with a space",
    object: pod({ labels: { app: "a b" } }),
    ok: false,
    at: "metadata.labels.app",
  },
  {
    rule: "ValidateLabels: IsValidLabelValue",
    what: "label value ending with '-'",
    object: pod({ labels: { app: "web-" } }),
    ok: false,
    at: "metadata.labels.app",
  },
  {
    rule: "ValidateLabels (pod template)",
    what: "Deployment template label value with '/'",
    object: deploy("web", { app: "a/b" }),
    ok: false,
    at: "spec.template.metadata.labels.app",
  },
  {
    rule: "ValidateAnnotations: IsQualifiedName(lower-cased key)",
    what: "annotation kubectl.kubernetes.io/last-applied-configuration",
    object: np({}, { annotations: { "kubectl.kubernetes.io/last-applied-configuration": "{}" } }),
    ok: true,
  },
  {
    rule: "ValidateAnnotations: IsQualifiedName(lower-cased key)",
    what: "annotation key with a space",
    object: np({}, { annotations: { "bad key": "x" } }),
    ok: false,
    at: "metadata.annotations.bad key",
  },
  {
    rule: "ValidateLabelSelector: ValidateLabels on matchLabels",
    what: "podSelector label key with a space",
    object: np({ podSelector: { matchLabels: { "bad key": "x" } } }),
    ok: false,
    at: "spec.podSelector.matchLabels.bad key",
  },
  {
    rule: "ValidateLabelSelectorRequirement: ValidateLabelName",
    what: "matchExpressions key with a space",
    object: np({ podSelector: { matchExpressions: [{ key: "bad key", operator: "Exists" }] } }),
    ok: false,
    at: "spec.podSelector.matchExpressions[0].key",
  },
  {
    rule: "ValidateLabelSelectorRequirement: IsValidLabelValue",
    what: "matchExpressions value with a space",
    object: np({ podSelector: { matchExpressions: [{ key: "app", operator: "In", values: ["a b"] }] } }),
    ok: false,
    at: "spec.podSelector.matchExpressions[0].values[0]",
  },
  {
    rule: "ValidateLabelSelectorRequirement: In needs values",
    what: "In without values",
    object: np({ podSelector: { matchExpressions: [{ key: "app", operator: "In" }] } }),
    ok: false,
    at: "spec.podSelector.matchExpressions[0].values",
  },
  // ports
  { rule: "IsValidPortNum", what: "port 1", object: ingressPort({ port: 1 }), ok: true },
  { rule: "IsValidPortNum", what: "port 65535", object: ingressPort({ port: 65535 }), ok: true },
  { rule: "IsValidPortNum", what: "port 0", object: ingressPort({ port: 0 }), ok: false, at: "spec.ingress[0].ports[0].port" },
  { rule: "IsValidPortNum", what: "port 65536", object: ingressPort({ port: 65536 }), ok: false, at: "spec.ingress[0].ports[0].port" },
  {
    rule: "IsValidPortNum (containerPort)",
    what: "containerPort 0",
    object: pod({}, [{ containerPort: 0 }]),
    ok: false,
    at: "spec.containers[0].ports[0].containerPort",
  },
  { rule: "IsValidPortName (IANA_SVC_NAME)", what: "named port http", object: ingressPort({ port: "http" }), ok: true },
  { rule: "IsValidPortName (IANA_SVC_NAME)", what: "named port h2c-1", object: ingressPort({ port: "h2c-1" }), ok: true },
  {
    rule: "IsValidPortName (IANA_SVC_NAME)",
    what: "named port of 15 characters",
    object: ingressPort({ port: "abcdefghij-klmn" }),
    ok: true,
  },
  {
    rule: "IsValidPortName (IANA_SVC_NAME)",
    what: "named port of 16 characters",
    object: ingressPort({ port: "abcdefghij-klmno" }),
    ok: false,
    at: "spec.ingress[0].ports[0].port",
  },
  {
    rule: "IsValidPortName (IANA_SVC_NAME)",
    what: "named port without a letter",
    object: ingressPort({ port: "123-4" }),
    ok: false,
    at: "spec.ingress[0].ports[0].port",
  },
  {
    rule: "IsValidPortName (IANA_SVC_NAME)",
    what: "named port with '--'",
    object: ingressPort({ port: "a--b" }),
    ok: false,
    at: "spec.ingress[0].ports[0].port",
  },
  {
    rule: "IsValidPortName (IANA_SVC_NAME)",
    what: "named port starting with '-'",
    object: ingressPort({ port: "-http" }),
    ok: false,
    at: "spec.ingress[0].ports[0].port",
  },
  {
    rule: "IsValidPortName (IANA_SVC_NAME)",
    what: "named port ending with '-'",
    object: ingressPort({ port: "http-" }),
    ok: false,
    at: "spec.ingress[0].ports[0].port",
  },
  {
    rule: "IsValidPortName (IANA_SVC_NAME)",
    what: "named port in capitals",
    object: ingressPort({ port: "HTTP" }),
    ok: false,
    at: "spec.ingress[0].ports[0].port",
  },
  {
    rule: "IsValidPortName (container port name)",
    what: "container port name with '_'",
    object: pod({}, [{ containerPort: 80, name: "my_port" }]),
    ok: false,
    at: "spec.containers[0].ports[0].name",
  },
  // protocols
  ...["TCP", "UDP", "SCTP"].map((protocol): Row => ({
    rule: "ValidateNetworkPolicyPort: supportedPortProtocols",
    what: `protocol ${protocol}`,
    object: ingressPort({ protocol, port: 53 }),
    ok: true,
  })),
  {
    rule: "ValidateNetworkPolicyPort: supportedPortProtocols",
    what: "protocol ICMP",
    object: ingressPort({ protocol: "ICMP", port: 53 }),
    ok: false,
    at: "spec.ingress[0].ports[0].protocol",
  },
  {
    rule: "ValidateNetworkPolicyPort: supportedPortProtocols",
    what: "protocol tcp (lower case)",
    object: ingressPort({ protocol: "tcp", port: 53 }),
    ok: false,
    at: "spec.ingress[0].ports[0].protocol",
  },
  // endPort
  { rule: "ValidateNetworkPolicyPort: endPort", what: "port 80 endPort 90", object: ingressPort({ port: 80, endPort: 90 }), ok: true },
  { rule: "ValidateNetworkPolicyPort: endPort", what: "endPort equal to port", object: ingressPort({ port: 80, endPort: 80 }), ok: true },
  {
    rule: "ValidateNetworkPolicyPort: endPort >= port",
    what: "endPort below port",
    object: ingressPort({ port: 80, endPort: 79 }),
    ok: false,
    at: "spec.ingress[0].ports[0].endPort",
  },
  {
    rule: "ValidateNetworkPolicyPort: endPort needs a numeric port",
    what: "endPort with a named port",
    object: ingressPort({ port: "http", endPort: 90 }),
    ok: false,
    at: "spec.ingress[0].ports[0].endPort",
  },
  {
    rule: "ValidateNetworkPolicyPort: endPort needs a port",
    what: "endPort without port",
    object: ingressPort({ endPort: 90 }),
    ok: false,
    at: "spec.ingress[0].ports[0].endPort",
  },
  // CIDRs
  { rule: "ValidateIPBlock: IsValidCIDR", what: "cidr 10.0.0.0/8", object: ipBlock({ cidr: "10.0.0.0/8" }), ok: true },
  { rule: "ValidateIPBlock: IsValidCIDR", what: "cidr with host bits set", object: ipBlock({ cidr: "10.0.0.1/8" }), ok: true },
  { rule: "ValidateIPBlock: IsValidCIDR", what: "IPv6 cidr", object: ipBlock({ cidr: "fd00::/64" }), ok: true },
  {
    rule: "ValidateIPBlock: IsValidCIDR",
    what: "prefix 33",
    object: ipBlock({ cidr: "10.0.0.0/33" }),
    ok: false,
    at: "spec.egress[0].to[0].ipBlock.cidr",
  },
  {
    rule: "ValidateIPBlock: IsValidCIDR",
    what: "an address without a prefix",
    object: ipBlock({ cidr: "10.0.0.0" }),
    ok: false,
    at: "spec.egress[0].to[0].ipBlock.cidr",
  },
  {
    rule: "ValidateIPBlock: IsValidCIDR",
    what: "an octet with a leading zero",
    object: ipBlock({ cidr: "010.0.0.0/8" }),
    ok: false,
    at: "spec.egress[0].to[0].ipBlock.cidr",
  },
  {
    rule: "ValidateIPBlock: except within cidr",
    what: "except inside cidr",
    object: ipBlock({ cidr: "10.0.0.0/8", except: ["10.1.0.0/16"] }),
    ok: true,
  },
  {
    rule: "ValidateIPBlock: except a strict subset of cidr",
    what: "except equal to cidr",
    object: ipBlock({ cidr: "10.0.0.0/8", except: ["10.0.0.0/8"] }),
    ok: false,
    at: "spec.egress[0].to[0].ipBlock.except[0]",
  },
  {
    rule: "ValidateIPBlock: except a strict subset of cidr",
    what: "except outside cidr",
    object: ipBlock({ cidr: "10.0.0.0/8", except: ["192.168.0.0/16"] }),
    ok: false,
    at: "spec.egress[0].to[0].ipBlock.except[0]",
  },
  {
    rule: "ValidateNetworkPolicyPeer: ipBlock alone",
    what: "ipBlock with a podSelector",
    object: np({ egress: [{ to: [{ ipBlock: { cidr: "10.0.0.0/8" }, podSelector: {} }] }] }),
    ok: false,
    at: "spec.egress[0].to[0].ipBlock",
  },
];

describe("core kinds are validated as the API server validates them", () => {
  for (const row of ROWS) {
    it(`${row.ok ? "accepts" : "refuses"} ${row.what} (${row.rule})`, () => {
      const text = stringify(row.object, { lineWidth: 0 });
      const { errors } = readManifestSources([{ file: "k.yaml", text }]);
      if (row.ok) {
        expect(errors.map((e) => e.message)).toEqual([]);
        return;
      }
      const at = errors.filter((e) => e.path === row.at);
      expect(at.length, `an error at ${row.at}; got ${errors.map((e) => e.message).join(" | ") || "none"}`).toBeGreaterThan(0);
      for (const e of at) {
        expect(e.line).toBeGreaterThan(0);
        expect(e.message.startsWith(`k.yaml:${e.line}:${e.column}: ${row.at}: `)).toBe(true);
        // Says why (zod's generic wording would not).
        expect(e.message).not.toMatch(/Invalid (key|input)/);
      }
    });
  }
});
