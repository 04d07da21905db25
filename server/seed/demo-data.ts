// The demo organisation, "Acme Retail": an online retailer with six product
// teams on three clusters. Plain data; demo.ts writes it. The graph and the
// simulator are judged on this, so every path here is one a real shop has.
import type { CommitteeFunction, NamedPort, Role } from "@/db/schema";
import type { PolicyplaneDocument } from "@/server/policy/documents/schema";

export const DEMO_PASSWORD = "policyplane-demo";

export interface DemoUser {
  name: string;
  email: string;
  title: string;
  grants: { tenant: string | null; role: Role; committeeFunction?: CommitteeFunction }[];
}

export const DEMO_USERS: DemoUser[] = [
  { name: "Alex Morgan", email: "alex.admin@acme.example", title: "Platform operator", grants: [{ tenant: null, role: "admin" }] },
  {
    name: "Sam Okafor",
    email: "sam.security@acme.example",
    title: "Security committee",
    grants: [{ tenant: null, role: "approver", committeeFunction: "security" }],
  },
  // A second security member: global and regional changes need two security approvals (issue 13's default rule).
  {
    name: "Lena Park",
    email: "lena.security@acme.example",
    title: "Security committee",
    grants: [{ tenant: null, role: "approver", committeeFunction: "security" }],
  },
  {
    name: "Nina Berg",
    email: "nina.network@acme.example",
    title: "Networking committee",
    grants: [{ tenant: null, role: "approver", committeeFunction: "networking" }],
  },
  {
    name: "Pat Lee",
    email: "pat.platform@acme.example",
    title: "Platform committee",
    grants: [{ tenant: null, role: "approver", committeeFunction: "platform" }],
  },
  // The payments tenant's own committee member: namespace-tier changes need one approver of the owning tenant (issue 13).
  {
    name: "Dana Cho",
    email: "dana.payments-committee@acme.example",
    title: "Payments committee",
    grants: [{ tenant: "payments", role: "approver", committeeFunction: "application" }],
  },
  {
    name: "Priya Shah",
    email: "priya.payments@acme.example",
    title: "Payments team",
    grants: [
      { tenant: "payments", role: "author" },
      { tenant: null, role: "viewer" },
    ],
  },
  {
    name: "Carlos Diaz",
    email: "carlos.checkout@acme.example",
    title: "Checkout team",
    grants: [
      { tenant: "checkout", role: "author" },
      { tenant: null, role: "viewer" },
    ],
  },
  { name: "Avery Kim", email: "avery.audit@acme.example", title: "Internal audit", grants: [{ tenant: null, role: "viewer" }] },
];

export const DEMO_CLUSTERS = [
  {
    name: "prod-eu-1",
    region: "eu-west",
    environment: "production" as const,
    labels: { env: "prod", region: "eu-west", wave: "2" },
    podCidr: "10.10",
  },
  {
    name: "prod-us-1",
    region: "us-east",
    environment: "production" as const,
    labels: { env: "prod", region: "us-east", wave: "3" },
    podCidr: "10.20",
  },
  {
    name: "staging-eu-1",
    region: "eu-west",
    environment: "staging" as const,
    labels: { env: "staging", region: "eu-west", wave: "1" },
    podCidr: "10.30",
  },
];

export const DEMO_TENANTS = [
  {
    name: "payments",
    displayName: "Payments",
    ownerTeam: "team-payments",
    description: "Card and wallet payments, ledger, fraud scoring. PCI scope.",
  },
  { name: "checkout", displayName: "Checkout", ownerTeam: "team-checkout", description: "Storefront checkout, cart and promotions." },
  { name: "catalog", displayName: "Catalog", ownerTeam: "team-catalog", description: "Products, inventory, images and search." },
  { name: "identity", displayName: "Identity", ownerTeam: "team-identity", description: "Sign-in, sessions, user profiles and MFA." },
  { name: "data-platform", displayName: "Data platform", ownerTeam: "team-data", description: "Event ingestion, Kafka and the warehouse." },
  {
    name: "observability",
    displayName: "Observability",
    ownerTeam: "team-sre",
    description: "Metrics, alerting, dashboards and log shipping.",
  },
];

const http = (port = 8080): NamedPort => ({ name: "http", port, protocol: "TCP" });
const grpc: NamedPort = { name: "grpc", port: 9090, protocol: "TCP" };
const metrics: NamedPort = { name: "http-metrics", port: 9102, protocol: "TCP" };
const postgres: NamedPort = { name: "postgres", port: 5432, protocol: "TCP" };
const redis: NamedPort = { name: "redis", port: 6379, protocol: "TCP" };

export interface DemoWorkload {
  name: string;
  kind: "Deployment" | "StatefulSet" | "DaemonSet" | "Job";
  tier: "frontend" | "api" | "backend" | "data" | "batch" | "platform";
  ports: NamedPort[];
  replicas: number;
  /** Labels besides app, tier and tenant. */
  labels?: Record<string, string>;
  /** Clusters it runs in; all three unless listed. */
  clusters?: string[];
}

export interface DemoNamespace {
  name: string;
  tenant: string | null;
  labels?: Record<string, string>;
  workloads: DemoWorkload[];
}

const EU_ONLY = ["prod-eu-1", "staging-eu-1"];
const PROD_EU = ["prod-eu-1"];

export const DEMO_NAMESPACES: DemoNamespace[] = [
  {
    name: "payments",
    tenant: "payments",
    labels: { pci: "true" },
    workloads: [
      { name: "payments-api", kind: "Deployment", tier: "api", ports: [http(), metrics], replicas: 3 },
      { name: "ledger", kind: "Deployment", tier: "backend", ports: [grpc, metrics], replicas: 3 },
      { name: "fraud-scoring", kind: "Deployment", tier: "backend", ports: [http(), metrics], replicas: 2 },
      { name: "psp-adapter", kind: "Deployment", tier: "backend", ports: [http(), metrics], replicas: 2 },
      { name: "payments-db", kind: "StatefulSet", tier: "data", ports: [postgres], replicas: 2 },
    ],
  },
  {
    name: "payments-batch",
    tenant: "payments",
    labels: { pci: "true" },
    workloads: [
      { name: "settlement", kind: "Job", tier: "batch", ports: [], replicas: 1, clusters: ["prod-eu-1", "prod-us-1"] },
      {
        name: "reconciliation",
        kind: "Deployment",
        tier: "batch",
        ports: [http(), metrics],
        replicas: 1,
        clusters: ["prod-eu-1", "prod-us-1"],
      },
    ],
  },
  {
    name: "checkout",
    tenant: "checkout",
    workloads: [
      { name: "checkout-web", kind: "Deployment", tier: "frontend", ports: [http(3000), metrics], replicas: 4 },
      { name: "checkout-api", kind: "Deployment", tier: "api", ports: [http(), metrics], replicas: 4 },
      { name: "cart", kind: "Deployment", tier: "backend", ports: [http(), metrics], replicas: 3 },
      { name: "cart-redis", kind: "StatefulSet", tier: "data", ports: [redis], replicas: 3 },
      { name: "promotions", kind: "Deployment", tier: "backend", ports: [http(), metrics], replicas: 2 },
    ],
  },
  {
    name: "catalog",
    tenant: "catalog",
    workloads: [
      { name: "catalog-api", kind: "Deployment", tier: "api", ports: [http(), metrics], replicas: 3 },
      { name: "product-service", kind: "Deployment", tier: "backend", ports: [grpc, metrics], replicas: 2 },
      { name: "inventory", kind: "Deployment", tier: "backend", ports: [grpc, metrics], replicas: 2 },
      { name: "catalog-db", kind: "StatefulSet", tier: "data", ports: [postgres], replicas: 2 },
      { name: "image-resizer", kind: "Deployment", tier: "backend", ports: [http(), metrics], replicas: 2, clusters: EU_ONLY },
    ],
  },
  {
    name: "catalog-search",
    tenant: "catalog",
    workloads: [
      { name: "search-api", kind: "Deployment", tier: "api", ports: [http(), metrics], replicas: 2 },
      { name: "search-indexer", kind: "Deployment", tier: "batch", ports: [http(), metrics], replicas: 1, clusters: EU_ONLY },
      {
        name: "opensearch",
        kind: "StatefulSet",
        tier: "data",
        ports: [
          { name: "http", port: 9200, protocol: "TCP" },
          { name: "transport", port: 9300, protocol: "TCP" },
        ],
        replicas: 3,
      },
    ],
  },
  {
    name: "identity",
    tenant: "identity",
    workloads: [
      { name: "auth-server", kind: "Deployment", tier: "api", ports: [http(), metrics], replicas: 3 },
      { name: "user-profile", kind: "Deployment", tier: "backend", ports: [grpc, metrics], replicas: 2 },
      { name: "session-store", kind: "StatefulSet", tier: "data", ports: [redis], replicas: 3 },
      { name: "identity-db", kind: "StatefulSet", tier: "data", ports: [postgres], replicas: 2 },
      { name: "mfa-sender", kind: "Deployment", tier: "backend", ports: [http(), metrics], replicas: 2 },
    ],
  },
  {
    name: "data-ingest",
    tenant: "data-platform",
    workloads: [
      { name: "event-collector", kind: "Deployment", tier: "api", ports: [http(), metrics], replicas: 3 },
      { name: "kafka", kind: "StatefulSet", tier: "data", ports: [{ name: "kafka", port: 9092, protocol: "TCP" }, metrics], replicas: 3 },
      { name: "stream-processor", kind: "Deployment", tier: "backend", ports: [http(), metrics], replicas: 2 },
    ],
  },
  {
    name: "data-warehouse",
    tenant: "data-platform",
    workloads: [
      { name: "warehouse-loader", kind: "Job", tier: "batch", ports: [], replicas: 1, clusters: PROD_EU },
      { name: "trino", kind: "Deployment", tier: "api", ports: [http(), metrics], replicas: 2, clusters: PROD_EU },
      { name: "airflow-scheduler", kind: "Deployment", tier: "batch", ports: [http(), metrics], replicas: 1, clusters: PROD_EU },
    ],
  },
  {
    name: "monitoring",
    tenant: "observability",
    workloads: [
      { name: "prometheus", kind: "StatefulSet", tier: "backend", ports: [{ name: "web", port: 9090, protocol: "TCP" }], replicas: 2 },
      { name: "alertmanager", kind: "StatefulSet", tier: "backend", ports: [{ name: "web", port: 9093, protocol: "TCP" }], replicas: 2 },
      { name: "grafana", kind: "Deployment", tier: "frontend", ports: [http(3000)], replicas: 1 },
    ],
  },
  {
    name: "logging",
    tenant: "observability",
    workloads: [
      { name: "fluent-bit", kind: "DaemonSet", tier: "platform", ports: [{ name: "http", port: 2020, protocol: "TCP" }], replicas: 3 },
      { name: "log-shipper", kind: "Deployment", tier: "backend", ports: [http(), metrics], replicas: 2 },
    ],
  },
  {
    name: "kube-system",
    tenant: null,
    labels: { "policyplane.io/platform": "true" },
    workloads: [
      {
        name: "coredns",
        kind: "Deployment",
        tier: "platform",
        labels: { "k8s-app": "kube-dns" },
        ports: [
          { name: "dns", port: 53, protocol: "UDP" },
          { name: "dns-tcp", port: 53, protocol: "TCP" },
        ],
        replicas: 2,
      },
    ],
  },
  {
    name: "ingress-nginx",
    tenant: null,
    labels: { "policyplane.io/platform": "true" },
    workloads: [
      {
        name: "ingress-nginx-controller",
        kind: "Deployment",
        tier: "platform",
        ports: [
          { name: "http", port: 80, protocol: "TCP" },
          { name: "https", port: 443, protocol: "TCP" },
        ],
        replicas: 2,
      },
    ],
  },
  {
    name: "istio-system",
    tenant: null,
    labels: { "policyplane.io/platform": "true" },
    workloads: [
      { name: "pci-egress", kind: "Deployment", tier: "platform", ports: [{ name: "https", port: 443, protocol: "TCP" }], replicas: 2 },
      {
        name: "istio-egressgateway",
        kind: "Deployment",
        tier: "platform",
        ports: [{ name: "https", port: 443, protocol: "TCP" }],
        replicas: 2,
      },
    ],
  },
];

export const DEMO_EXTERNAL_DESTINATIONS = [
  { name: "stripe-api", dnsName: "api.stripe.com", cidr: null, criticality: "critical" as const, description: "Card payments provider" },
  {
    name: "adyen-api",
    dnsName: "*.adyen.com",
    cidr: null,
    criticality: "critical" as const,
    description: "Alternative payments provider (failover)",
  },
  { name: "twilio-api", dnsName: "api.twilio.com", cidr: null, criticality: "high" as const, description: "SMS for MFA codes" },
  {
    name: "object-storage-eu",
    dnsName: "s3.eu-west-1.amazonaws.com",
    cidr: null,
    criticality: "high" as const,
    description: "Product images and warehouse exports",
  },
  {
    name: "datadog-logs",
    dnsName: "http-intake.logs.datadoghq.eu",
    cidr: null,
    criticality: "medium" as const,
    description: "SaaS log management",
  },
  {
    name: "pagerduty-events",
    dnsName: "events.pagerduty.com",
    cidr: null,
    criticality: "high" as const,
    description: "On-call paging from Alertmanager",
  },
  {
    name: "corporate-network",
    dnsName: null,
    cidr: "172.16.0.0/12",
    criticality: "medium" as const,
    description: "Offices and VPN (reached through the interconnect)",
  },
  {
    name: "cloud-metadata",
    dnsName: null,
    cidr: "169.254.169.254/32",
    criticality: "critical" as const,
    description: "Cloud instance metadata API: credential theft target",
  },
];

const ns = (...names: string[]) => ({ namespaces: names });
const app = (name: string) => ({ podSelector: { matchLabels: { app: name } } });
const from = (namespace: string, appName: string) => ({ workloads: { ...ns(namespace), ...app(appName) } });
const tcp = (port: number | string) => ({ port, protocol: "TCP" as const });

type Doc = PolicyplaneDocument;
const meta = (name: string, owner: string, description: string, tenant?: string) => ({
  name,
  owner,
  description,
  ...(tenant ? { tenant } : {}),
});
const V = "policyplane.io/v1" as const;

/** Each policy with the demo user who wrote it. */
export const DEMO_POLICIES: { author: string; document: Doc }[] = [
  // Compliance constraints: guardrails nothing can override.
  {
    author: "sam.security@acme.example",
    document: {
      apiVersion: V,
      kind: "ComplianceConstraint",
      metadata: meta(
        "pci-egress-through-gateway",
        "security-committee",
        "PCI DSS 1.3.4: cardholder-data systems reach the internet only through the inspected PCI egress gateway.",
      ),
      spec: {
        subject: { namespaceSelector: { matchLabels: { pci: "true" } } },
        direction: "egress",
        peers: [{ entity: "world" }],
        exceptVia: "pci-egress",
        rationale: "PCI DSS requirement 1.3.4",
      },
    },
  },
  {
    author: "sam.security@acme.example",
    document: {
      apiVersion: V,
      kind: "ComplianceConstraint",
      metadata: meta(
        "no-cloud-metadata",
        "security-committee",
        "No workload may call the instance metadata API (stolen node credentials).",
      ),
      spec: {
        subject: {},
        direction: "egress",
        peers: [{ cidr: "169.254.169.254/32" }],
        rationale: "Credential theft through the metadata API (SSRF)",
      },
    },
  },
  // Global tier: enterprise baseline, evaluated first.
  {
    author: "pat.platform@acme.example",
    document: {
      apiVersion: V,
      kind: "Policy",
      metadata: meta("global-allow-dns", "platform-committee", "Every pod may resolve names through cluster DNS."),
      spec: {
        tier: "global",
        priority: 10,
        subject: {},
        rules: [
          {
            name: "dns",
            direction: "egress",
            action: "allow",
            peers: [{ entity: "kube-dns" }],
            ports: [{ port: 53, protocol: "UDP" }, tcp(53)],
          },
        ],
      },
    },
  },
  {
    author: "pat.platform@acme.example",
    document: {
      apiVersion: V,
      kind: "Policy",
      metadata: meta("platform-dns", "platform-committee", "Cluster DNS answers every pod (the other half of global-allow-dns)."),
      spec: {
        tier: "global",
        priority: 11,
        subject: { ...ns("kube-system"), podSelector: { matchLabels: { "k8s-app": "kube-dns" } } },
        rules: [
          {
            name: "resolve",
            direction: "ingress",
            action: "allow",
            peers: [{ workloads: { namespaceSelector: {} } }],
            ports: [{ port: 53, protocol: "UDP" }, tcp(53)],
          },
        ],
      },
    },
  },
  {
    author: "pat.platform@acme.example",
    document: {
      apiVersion: V,
      kind: "Policy",
      metadata: meta(
        "platform-ingress-controller",
        "platform-committee",
        "North-south: the ingress controller takes traffic from the internet and forwards it to the tenants' frontends and APIs.",
      ),
      spec: {
        tier: "global",
        priority: 12,
        subject: { ...ns("ingress-nginx") },
        rules: [
          { name: "from-internet", direction: "ingress", action: "allow", peers: [{ entity: "world" }], ports: [tcp(80), tcp(443)] },
          {
            name: "to-frontends-and-apis",
            direction: "egress",
            action: "allow",
            peers: [
              {
                workloads: {
                  namespaceSelector: { matchExpressions: [{ key: "tenant", operator: "Exists" }] },
                  podSelector: { matchExpressions: [{ key: "tier", operator: "In", values: ["frontend", "api"] }] },
                },
              },
            ],
            ports: [tcp("http")],
          },
        ],
      },
    },
  },
  {
    author: "nina.network@acme.example",
    document: {
      apiVersion: V,
      kind: "Policy",
      metadata: meta(
        "platform-egress-gateways",
        "networking-committee",
        "The egress gateways accept traffic from workloads and are the only way out to the internet on 443.",
      ),
      spec: {
        tier: "global",
        priority: 13,
        subject: { ...ns("istio-system") },
        rules: [
          {
            name: "from-workloads",
            direction: "ingress",
            action: "allow",
            peers: [{ workloads: { namespaceSelector: {} } }],
            ports: [tcp(443)],
          },
          {
            name: "to-internet",
            direction: "egress",
            action: "allow",
            // The public internet only: never private ranges or the link-local metadata API.
            peers: [{ cidr: "0.0.0.0/0", except: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16"] }],
            ports: [tcp(443)],
          },
        ],
      },
    },
  },
  {
    author: "pat.platform@acme.example",
    document: {
      apiVersion: V,
      kind: "Policy",
      metadata: meta("global-allow-metrics-scrape", "platform-committee", "Prometheus scrapes every workload's metrics port."),
      spec: {
        tier: "global",
        priority: 20,
        subject: {},
        rules: [
          {
            name: "scrape",
            direction: "ingress",
            action: "allow",
            peers: [from("monitoring", "prometheus")],
            ports: [tcp("http-metrics")],
          },
        ],
      },
    },
  },
  {
    author: "nina.network@acme.example",
    document: {
      apiVersion: V,
      kind: "Policy",
      metadata: meta(
        "global-data-tier-isolation",
        "networking-committee",
        "Databases and caches are reached only from their own tenant; other tenants go through an API.",
      ),
      spec: {
        tier: "global",
        priority: 30,
        subject: { podSelector: { matchLabels: { tier: "data" } } },
        rules: [
          {
            name: "own-tenant-decides",
            direction: "ingress",
            action: "pass",
            peers: [{ workloads: { namespaceSelector: { matchExpressions: [{ key: "tenant", operator: "Exists" }] } } }],
          },
        ],
      },
    },
  },
  // Regional tier.
  {
    author: "nina.network@acme.example",
    document: {
      apiVersion: V,
      kind: "Policy",
      metadata: meta("eu-data-residency", "networking-committee", "GDPR: the EU data platform does not ship data to US object storage."),
      spec: {
        tier: "regional",
        scope: { regions: ["eu-west"] },
        priority: 100,
        subject: { tenant: "data-platform" },
        rules: [
          { name: "no-us-storage", direction: "egress", action: "deny", peers: [{ dns: "*.us-east-1.amazonaws.com" }], ports: [tcp(443)] },
        ],
      },
    },
  },
  // Cluster tier.
  {
    author: "alex.admin@acme.example",
    document: {
      apiVersion: V,
      kind: "Policy",
      metadata: meta(
        "staging-corporate-access",
        "platform-committee",
        "In staging, engineers on the corporate network may reach the API tier directly.",
      ),
      spec: {
        tier: "cluster",
        scope: { clusters: ["staging-eu-1"] },
        priority: 200,
        subject: { podSelector: { matchLabels: { tier: "api" } } },
        rules: [{ name: "corp-to-api", direction: "ingress", action: "allow", peers: [{ cidr: "172.16.0.0/12" }], ports: [tcp("http")] }],
      },
    },
  },
  // Namespace tier: what the application teams wrote.
  {
    author: "priya.payments@acme.example",
    document: {
      apiVersion: V,
      kind: "Policy",
      metadata: meta(
        "payments-api",
        "team-payments",
        "Checkout calls the payments API; it calls the ledger, fraud scoring and the PSP adapter.",
        "payments",
      ),
      spec: {
        tier: "namespace",
        subject: { ...ns("payments"), ...app("payments-api") },
        rules: [
          { name: "from-checkout", direction: "ingress", action: "allow", peers: [from("checkout", "checkout-api")], ports: [tcp("http")] },
          {
            name: "to-payment-backends",
            direction: "egress",
            action: "allow",
            peers: [from("payments", "ledger"), from("payments", "fraud-scoring"), from("payments", "psp-adapter")],
          },
          { name: "to-db", direction: "egress", action: "allow", peers: [from("payments", "payments-db")], ports: [tcp(5432)] },
          { name: "to-auth", direction: "egress", action: "allow", peers: [from("identity", "auth-server")], ports: [tcp(8080)] },
        ],
      },
    },
  },
  {
    author: "priya.payments@acme.example",
    document: {
      apiVersion: V,
      kind: "Policy",
      metadata: meta(
        "payments-backends",
        "team-payments",
        "Ledger, fraud scoring and the PSP adapter accept calls from the payments API; batch jobs reach the ledger.",
        "payments",
      ),
      spec: {
        tier: "namespace",
        subject: {
          ...ns("payments"),
          podSelector: { matchExpressions: [{ key: "app", operator: "In", values: ["ledger", "fraud-scoring", "psp-adapter"] }] },
        },
        rules: [
          { name: "from-api", direction: "ingress", action: "allow", peers: [from("payments", "payments-api")] },
          {
            name: "from-batch",
            direction: "ingress",
            action: "allow",
            peers: [{ workloads: { ...ns("payments-batch") } }],
            ports: [tcp("grpc")],
          },
          { name: "ledger-to-db", direction: "egress", action: "allow", peers: [from("payments", "payments-db")], ports: [tcp(5432)] },
        ],
      },
    },
  },
  {
    author: "priya.payments@acme.example",
    document: {
      apiVersion: V,
      kind: "Policy",
      metadata: meta("payments-db", "team-payments", "The payments database accepts the API and the ledger only.", "payments"),
      spec: {
        tier: "namespace",
        subject: { ...ns("payments"), ...app("payments-db") },
        rules: [
          {
            name: "from-owners",
            direction: "ingress",
            action: "allow",
            peers: [from("payments", "payments-api"), from("payments", "ledger")],
            ports: [tcp("postgres")],
          },
        ],
      },
    },
  },
  {
    author: "priya.payments@acme.example",
    document: {
      apiVersion: V,
      kind: "Policy",
      metadata: meta("payments-batch", "team-payments", "Settlement and reconciliation post to the ledger.", "payments"),
      spec: {
        tier: "namespace",
        subject: { ...ns("payments-batch") },
        rules: [{ name: "to-ledger", direction: "egress", action: "allow", peers: [from("payments", "ledger")], ports: [tcp("grpc")] }],
      },
    },
  },
  {
    author: "priya.payments@acme.example",
    document: {
      apiVersion: V,
      kind: "Policy",
      metadata: meta("psp-egress", "team-payments", "The PSP adapter reaches Stripe and Adyen through the PCI egress gateway.", "payments"),
      spec: {
        tier: "namespace",
        subject: { ...ns("payments"), ...app("psp-adapter") },
        rules: [
          {
            name: "card-processors",
            direction: "egress",
            action: "allow",
            peers: [{ dns: "api.stripe.com" }, { dns: "*.adyen.com" }],
            ports: [tcp(443)],
            via: "pci-egress",
          },
        ],
      },
    },
  },
  {
    author: "carlos.checkout@acme.example",
    document: {
      apiVersion: V,
      kind: "Policy",
      metadata: meta(
        "checkout-web",
        "team-checkout",
        "The storefront is reached through the ingress controller and calls the checkout API.",
        "checkout",
      ),
      spec: {
        tier: "namespace",
        subject: { ...ns("checkout"), ...app("checkout-web") },
        rules: [
          {
            name: "from-ingress",
            direction: "ingress",
            action: "allow",
            peers: [from("ingress-nginx", "ingress-nginx-controller")],
            ports: [tcp("http")],
          },
          { name: "to-api", direction: "egress", action: "allow", peers: [from("checkout", "checkout-api")], ports: [tcp(8080)] },
        ],
      },
    },
  },
  {
    author: "carlos.checkout@acme.example",
    document: {
      apiVersion: V,
      kind: "Policy",
      metadata: meta(
        "checkout-api",
        "team-checkout",
        "The checkout API orchestrates cart, promotions, catalog, identity and payments.",
        "checkout",
      ),
      spec: {
        tier: "namespace",
        subject: { ...ns("checkout"), ...app("checkout-api") },
        rules: [
          { name: "from-web", direction: "ingress", action: "allow", peers: [from("checkout", "checkout-web")], ports: [tcp("http")] },
          {
            name: "to-checkout-services",
            direction: "egress",
            action: "allow",
            peers: [from("checkout", "cart"), from("checkout", "promotions")],
            ports: [tcp(8080)],
          },
          {
            name: "to-other-tenants",
            direction: "egress",
            action: "allow",
            peers: [from("catalog", "catalog-api"), from("identity", "auth-server"), from("payments", "payments-api")],
            ports: [tcp(8080)],
          },
          { name: "to-events", direction: "egress", action: "allow", peers: [from("data-ingest", "event-collector")], ports: [tcp(8080)] },
        ],
      },
    },
  },
  {
    author: "carlos.checkout@acme.example",
    document: {
      apiVersion: V,
      kind: "Policy",
      metadata: meta("cart", "team-checkout", "Cart and promotions serve the checkout API; the cart keeps state in Redis.", "checkout"),
      spec: {
        tier: "namespace",
        subject: { ...ns("checkout"), podSelector: { matchExpressions: [{ key: "app", operator: "In", values: ["cart", "promotions"] }] } },
        rules: [
          { name: "from-api", direction: "ingress", action: "allow", peers: [from("checkout", "checkout-api")], ports: [tcp("http")] },
          { name: "to-redis", direction: "egress", action: "allow", peers: [from("checkout", "cart-redis")], ports: [tcp(6379)] },
          { name: "to-inventory", direction: "egress", action: "allow", peers: [from("catalog", "catalog-api")], ports: [tcp(8080)] },
        ],
      },
    },
  },
  {
    author: "carlos.checkout@acme.example",
    document: {
      apiVersion: V,
      kind: "Policy",
      metadata: meta("cart-redis", "team-checkout", "Only the cart talks to its Redis.", "checkout"),
      spec: {
        tier: "namespace",
        subject: { ...ns("checkout"), ...app("cart-redis") },
        rules: [{ name: "from-cart", direction: "ingress", action: "allow", peers: [from("checkout", "cart")], ports: [tcp("redis")] }],
      },
    },
  },
  {
    author: "alex.admin@acme.example",
    document: {
      apiVersion: V,
      kind: "Policy",
      metadata: meta(
        "catalog-api",
        "team-catalog",
        "The catalog API is public (through ingress) and used by checkout; it fans out to products, inventory and search.",
        "catalog",
      ),
      spec: {
        tier: "namespace",
        subject: { ...ns("catalog"), ...app("catalog-api") },
        rules: [
          {
            name: "from-ingress-and-checkout",
            direction: "ingress",
            action: "allow",
            peers: [from("ingress-nginx", "ingress-nginx-controller"), { workloads: { ...ns("checkout") } }],
            ports: [tcp("http")],
          },
          {
            name: "to-catalog-backends",
            direction: "egress",
            action: "allow",
            peers: [from("catalog", "product-service"), from("catalog", "inventory")],
            ports: [tcp("grpc")],
          },
          { name: "to-search", direction: "egress", action: "allow", peers: [from("catalog-search", "search-api")], ports: [tcp(8080)] },
        ],
      },
    },
  },
  {
    author: "alex.admin@acme.example",
    document: {
      apiVersion: V,
      kind: "Policy",
      metadata: meta(
        "catalog-backends",
        "team-catalog",
        "Products and inventory serve the catalog API and own the catalog database; images go to object storage.",
        "catalog",
      ),
      spec: {
        tier: "namespace",
        subject: {
          ...ns("catalog"),
          podSelector: {
            matchExpressions: [{ key: "app", operator: "In", values: ["product-service", "inventory", "catalog-db", "image-resizer"] }],
          },
        },
        rules: [
          { name: "from-api", direction: "ingress", action: "allow", peers: [from("catalog", "catalog-api")], ports: [tcp("grpc")] },
          {
            name: "db-from-services",
            direction: "ingress",
            action: "allow",
            peers: [from("catalog", "product-service"), from("catalog", "inventory")],
            ports: [tcp("postgres")],
          },
          { name: "to-db", direction: "egress", action: "allow", peers: [from("catalog", "catalog-db")], ports: [tcp(5432)] },
          {
            name: "images-to-storage",
            direction: "egress",
            action: "allow",
            peers: [{ dns: "s3.eu-west-1.amazonaws.com" }],
            ports: [tcp(443)],
          },
        ],
      },
    },
  },
  {
    author: "alex.admin@acme.example",
    document: {
      apiVersion: V,
      kind: "Policy",
      metadata: meta(
        "search",
        "team-catalog",
        "Search API and indexer use OpenSearch; the indexer consumes product events from Kafka.",
        "catalog",
      ),
      spec: {
        tier: "namespace",
        subject: { ...ns("catalog-search") },
        rules: [
          { name: "api-from-catalog", direction: "ingress", action: "allow", peers: [from("catalog", "catalog-api")], ports: [tcp(8080)] },
          {
            name: "opensearch-from-search",
            direction: "ingress",
            action: "allow",
            peers: [{ workloads: { ...ns("catalog-search") } }],
            ports: [{ port: 9200, endPort: 9300, protocol: "TCP" }],
          },
          {
            name: "to-opensearch",
            direction: "egress",
            action: "allow",
            peers: [from("catalog-search", "opensearch")],
            ports: [tcp(9200), tcp(9300)],
          },
          { name: "indexer-to-kafka", direction: "egress", action: "allow", peers: [from("data-ingest", "kafka")], ports: [tcp(9092)] },
        ],
      },
    },
  },
  {
    author: "alex.admin@acme.example",
    document: {
      apiVersion: V,
      kind: "Policy",
      metadata: meta(
        "identity",
        "team-identity",
        "Every tenant's API tier signs users in through the auth server; MFA codes go out by SMS.",
        "identity",
      ),
      spec: {
        tier: "namespace",
        subject: { ...ns("identity") },
        rules: [
          {
            name: "auth-from-api-tier",
            direction: "ingress",
            action: "allow",
            peers: [
              {
                workloads: {
                  namespaceSelector: { matchExpressions: [{ key: "tenant", operator: "Exists" }] },
                  podSelector: { matchLabels: { tier: "api" } },
                },
              },
            ],
            ports: [tcp(8080)],
          },
          { name: "internal", direction: "ingress", action: "allow", peers: [{ workloads: { ...ns("identity") } }] },
          { name: "internal-egress", direction: "egress", action: "allow", peers: [{ workloads: { ...ns("identity") } }] },
          { name: "mfa-sms", direction: "egress", action: "allow", peers: [{ dns: "api.twilio.com" }], ports: [tcp(443)] },
        ],
      },
    },
  },
  {
    author: "alex.admin@acme.example",
    document: {
      apiVersion: V,
      kind: "Policy",
      metadata: meta(
        "event-ingest",
        "team-data",
        "Any tenant may send events to the collector; Kafka serves the collector, the stream processor and the indexer.",
        "data-platform",
      ),
      spec: {
        tier: "namespace",
        subject: { ...ns("data-ingest") },
        rules: [
          {
            name: "collector-from-tenants",
            direction: "ingress",
            action: "allow",
            peers: [{ workloads: { namespaceSelector: { matchExpressions: [{ key: "tenant", operator: "Exists" }] } } }],
            ports: [tcp(8080)],
          },
          {
            name: "kafka-clients",
            direction: "ingress",
            action: "allow",
            peers: [
              { workloads: { ...ns("data-ingest") } },
              { workloads: { ...ns("data-warehouse") } },
              from("catalog-search", "search-indexer"),
            ],
            ports: [tcp(9092)],
          },
          { name: "to-kafka", direction: "egress", action: "allow", peers: [from("data-ingest", "kafka")], ports: [tcp(9092)] },
        ],
      },
    },
  },
  {
    author: "alex.admin@acme.example",
    document: {
      apiVersion: V,
      kind: "Policy",
      metadata: meta("warehouse", "team-data", "The warehouse loads from Kafka and exports to EU object storage.", "data-platform"),
      spec: {
        tier: "namespace",
        subject: { ...ns("data-warehouse") },
        rules: [
          { name: "to-kafka", direction: "egress", action: "allow", peers: [from("data-ingest", "kafka")], ports: [tcp(9092)] },
          { name: "exports", direction: "egress", action: "allow", peers: [{ dns: "s3.eu-west-1.amazonaws.com" }], ports: [tcp(443)] },
          { name: "internal", direction: "ingress", action: "allow", peers: [{ workloads: { ...ns("data-warehouse") } }] },
          { name: "internal-egress", direction: "egress", action: "allow", peers: [{ workloads: { ...ns("data-warehouse") } }] },
        ],
      },
    },
  },
  {
    author: "alex.admin@acme.example",
    document: {
      apiVersion: V,
      kind: "Policy",
      metadata: meta(
        "observability",
        "team-sre",
        "Grafana behind ingress; Alertmanager pages on-call; logs ship to the SaaS.",
        "observability",
      ),
      spec: {
        tier: "namespace",
        subject: { ...ns("monitoring", "logging") },
        rules: [
          {
            name: "grafana-from-ingress",
            direction: "ingress",
            action: "allow",
            peers: [from("ingress-nginx", "ingress-nginx-controller")],
            ports: [tcp(3000)],
          },
          {
            name: "scrape-everything",
            direction: "egress",
            action: "allow",
            peers: [{ workloads: { namespaceSelector: {} } }],
            ports: [tcp("http-metrics")],
          },
          {
            name: "grafana-to-prometheus",
            direction: "egress",
            action: "allow",
            peers: [from("monitoring", "prometheus")],
            ports: [tcp(9090)],
          },
          {
            name: "prometheus-from-grafana",
            direction: "ingress",
            action: "allow",
            peers: [from("monitoring", "grafana")],
            ports: [tcp(9090)],
          },
          { name: "paging", direction: "egress", action: "allow", peers: [{ dns: "events.pagerduty.com" }], ports: [tcp(443)] },
          {
            name: "log-intake",
            direction: "egress",
            action: "allow",
            peers: [{ dns: "http-intake.logs.datadoghq.eu" }],
            ports: [tcp(443)],
          },
          {
            name: "logs-from-fluent-bit",
            direction: "ingress",
            action: "allow",
            peers: [from("logging", "fluent-bit")],
            ports: [tcp(8080)],
          },
          {
            name: "fluent-bit-to-shipper",
            direction: "egress",
            action: "allow",
            peers: [from("logging", "log-shipper")],
            ports: [tcp(8080)],
          },
        ],
      },
    },
  },
  // Baseline: what applies when no other tier decided.
  {
    author: "sam.security@acme.example",
    document: {
      apiVersion: V,
      kind: "Policy",
      metadata: meta(
        "baseline-default-deny",
        "security-committee",
        "Secure by default: tenant namespaces deny anything not explicitly allowed.",
      ),
      spec: {
        tier: "baseline",
        subject: { namespaceSelector: { matchExpressions: [{ key: "tenant", operator: "Exists" }] } },
        rules: [
          { name: "deny-ingress", direction: "ingress", action: "deny", peers: [{ workloads: { namespaceSelector: {} } }] },
          {
            name: "deny-egress",
            direction: "egress",
            action: "deny",
            peers: [{ workloads: { namespaceSelector: {} } }, { entity: "world" }],
          },
        ],
      },
    },
  },
];
