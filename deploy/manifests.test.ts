// The Kubernetes manifests (issue 18 item 8) as `kubectl kustomize` renders each overlay: the objects a
// cluster gets, a restricted pod security posture (non-root, read-only root filesystem with writable
// mounts where the image writes), the PostgreSQL connection from a Secret, the PodDisruptionBudget and
// HorizontalPodAutoscaler on the decision point, Services that reach their pods, and Policyplane's own
// NetworkPolicies. The Dockerfile's user and writable paths are checked against them.
import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { ClusterRole } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole";
import { ClusterRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding";
import { Role } from "kubernetes-models/rbac.authorization.k8s.io/v1/Role";
import { RoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { Service } from "kubernetes-models/v1/Service";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { parseAllDocuments } from "yaml";
import { AGENT_GLIBC_TUNABLES, AGENT_NODE_FLAGS, TUNED_ENV } from "../bin/agent-process.mjs";
import { PLURALS, POLICY_RESOURCES } from "@/server/cli/commands/agent-watch";

/** Each rendered kind's schema (the Kubernetes OpenAPI, as kubernetes-models carries it). */
const SCHEMA_OF: Record<string, new (o: never) => { validate(): void }> = {
  Deployment,
  HorizontalPodAutoscaler,
  NetworkPolicy,
  PodDisruptionBudget,
  ConfigMap,
  Namespace,
  Service,
  ServiceAccount,
  ClusterRole,
  ClusterRoleBinding,
  Role,
  RoleBinding,
};

const root = path.resolve(import.meta.dirname, "..");
const KUBECTL = process.env.KUBECTL ?? "kubectl";
const overlays = readdirSync(path.join(root, "deploy", "overlays"));
const haveKubectl = spawnSync(KUBECTL, ["version", "--client"], { encoding: "utf8" }).status === 0;
if (!haveKubectl) console.warn(`deploy manifests: SKIPPED, kubectl is not installed (${KUBECTL}; set KUBECTL to its path)`);

/* eslint-disable @typescript-eslint/no-explicit-any -- rendered Kubernetes objects, checked field by field */
type K8s = any;

function render(overlay: string, folder = path.join(root, "deploy", "overlays", overlay)): K8s[] {
  const result = spawnSync(KUBECTL, ["kustomize", folder], { encoding: "utf8", timeout: 60_000 });
  if (result.status !== 0) throw new Error(`kubectl kustomize ${overlay} failed: ${result.stderr}`);
  return parseAllDocuments(result.stdout).map((d) => d.toJS() as K8s);
}

const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

describe.skipIf(!haveKubectl)("deploy/ rendered by kubectl kustomize", () => {
  it("has two overlays", () => expect(overlays.sort()).toEqual(["production", "staging"]));

  for (const overlay of overlays) {
    describe(overlay, () => {
      const objects = haveKubectl ? render(overlay) : [];
      const of = (kind: string) => objects.filter((o) => o.kind === kind);
      const deployment = (component: string) =>
        of("Deployment").find((d) => d.metadata.labels["app.kubernetes.io/component"] === component)!;

      it("renders only objects valid against the Kubernetes schema", () => {
        for (const o of objects) {
          const Model = SCHEMA_OF[o.kind as string];
          expect(Model, o.kind).toBeDefined();
          expect(() => new Model!(o as never).validate(), `${o.kind}/${o.metadata.name}`).not.toThrow();
        }
      });

      it("renders the console and the decision point, each with a Service, in the overlay's namespace", () => {
        const kinds = objects.map((o) => o.kind).sort();
        for (const kind of [
          "Namespace",
          "ServiceAccount",
          "ConfigMap",
          "Deployment",
          "Service",
          "PodDisruptionBudget",
          "HorizontalPodAutoscaler",
          "NetworkPolicy",
        ])
          expect(kinds, kind).toContain(kind);
        expect(
          of("Deployment")
            .map((d) => d.metadata.name)
            .sort(),
        ).toEqual(["policyplane-console", "policyplane-decision-point"]);
        const [namespace] = of("Namespace");
        expect(namespace.metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
        for (const o of objects.filter((x) => x.kind !== "Namespace"))
          expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe(namespace.metadata.name);
        for (const service of of("Service")) {
          const target = of("Deployment").find((d) => matches(service.spec.selector, d.spec.template.metadata.labels));
          expect(target, service.metadata.name).toBeDefined();
          const names = target.spec.template.spec.containers.flatMap((c: K8s) => c.ports.map((p: K8s) => p.name));
          for (const port of service.spec.ports) expect(names).toContain(port.targetPort);
        }
        expect(deployment("console").spec.replicas).toBeGreaterThanOrEqual(1);
        expect(deployment("decision-point").spec.template.spec.containers[0].command).toEqual(
          expect.arrayContaining(["bin/policyplane.mjs", "serve"]),
        );
      });

      it("runs every pod as non-root on a read-only root filesystem, writable only where mounted", () => {
        for (const d of of("Deployment")) {
          const pod = d.spec.template.spec;
          expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: "RuntimeDefault" } });
          expect(pod.automountServiceAccountToken).toBe(false);
          for (const c of pod.containers) {
            expect(c.securityContext, d.metadata.name).toMatchObject({
              readOnlyRootFilesystem: true,
              allowPrivilegeEscalation: false,
              capabilities: { drop: ["ALL"] },
            });
            expect(c.image).toMatch(/^registry\.example\.com\/platform\/policyplane:/);
            const mounts = c.volumeMounts.map((m: K8s) => m.mountPath);
            expect(mounts).toContain("/tmp");
            for (const m of c.volumeMounts) expect(pod.volumes.find((v: K8s) => v.name === m.name)?.emptyDir, m.name).toBeDefined();
          }
        }
        const console_ = deployment("console").spec.template.spec.containers[0];
        const env = Object.fromEntries(console_.env.filter((e: K8s) => "value" in e).map((e: K8s) => [e.name, e.value]));
        const mounts = console_.volumeMounts.map((m: K8s) => m.mountPath);
        expect(mounts).toEqual(expect.arrayContaining(["/app/.next/cache", env.POLICYPLANE_DATA_DIR]));
        expect(mounts.some((m: string) => env.AUDIT_CHECKPOINT_FILE.startsWith(`${m}/`))).toBe(true);
        expect(env).toMatchObject({ HOST: "0.0.0.0", POLICYPLANE_PREBUILT: "1" });
      });

      it("takes the PostgreSQL connection and the keys from Secrets, never from literals", () => {
        for (const d of of("Deployment")) {
          const env = d.spec.template.spec.containers[0].env as K8s[];
          const from = (name: string) => env.find((e) => e.name === name)?.valueFrom?.secretKeyRef;
          expect(from("DATABASE_URL"), d.metadata.name).toEqual({ name: "policyplane-database", key: "url" });
          expect(from("AUDIT_KEY")).toMatchObject({ name: "policyplane-secrets" });
          expect(from("BETTER_AUTH_SECRET")).toMatchObject({ name: "policyplane-secrets" });
          for (const e of env) expect(e.value ?? "", e.name).not.toMatch(/postgres:\/\//);
        }
        expect(of("Secret")).toEqual([]);
        const config = of("ConfigMap")[0];
        expect(config.data.POLICYPLANE_DEMO).toBe("off");
      });

      it("protects the decision point with a PodDisruptionBudget and scales it with a HorizontalPodAutoscaler", () => {
        const dp = deployment("decision-point");
        const labels = dp.spec.template.metadata.labels;
        const [pdb] = of("PodDisruptionBudget");
        expect(matches(pdb.spec.selector.matchLabels, labels)).toBe(true);
        expect(matches(pdb.spec.selector.matchLabels, deployment("console").spec.template.metadata.labels)).toBe(false);
        const [hpa] = of("HorizontalPodAutoscaler");
        expect(hpa.apiVersion).toBe("autoscaling/v2");
        expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: "apps/v1", kind: "Deployment", name: dp.metadata.name });
        // The budget can always be met while disruptions are allowed: fewer required than the autoscaler's floor.
        expect(pdb.spec.minAvailable).toBeLessThan(hpa.spec.minReplicas);
        expect(hpa.spec.maxReplicas).toBeGreaterThan(hpa.spec.minReplicas);
        // Readiness must not follow /health: it answers 503 while the database is down, when the point still serves.
        expect(dp.spec.template.spec.containers[0].readinessProbe.httpGet).toBeUndefined();
      });

      it("denies by default and opens only each component's port, DNS and PostgreSQL", () => {
        const policies = of("NetworkPolicy");
        const deny = policies.find((p) => Object.keys(p.spec.podSelector).length === 0);
        expect(deny?.spec).toEqual({ podSelector: {}, policyTypes: ["Ingress", "Egress"] });
        for (const [component, port] of [
          ["console", 3000],
          ["decision-point", 3100],
        ] as const) {
          const labels = deployment(component).spec.template.metadata.labels;
          const selecting = policies.filter((p) => matches(p.spec.podSelector.matchLabels ?? {}, labels) && p !== deny);
          const ingressPorts = selecting.flatMap((p) => (p.spec.ingress ?? []).flatMap((r: K8s) => r.ports.map((x: K8s) => x.port)));
          expect(ingressPorts, component).toEqual([port]);
          const egress = selecting.flatMap((p) => p.spec.egress ?? []);
          expect(egress.some((r: K8s) => r.ports.some((x: K8s) => x.port === 53 && x.protocol === "UDP"))).toBe(true);
          const postgres = egress.find((r: K8s) => r.ports.some((x: K8s) => x.port === 5432));
          expect(postgres.to[0].ipBlock.cidr).toMatch(/^10\.\d+\.\d+\.\d+\/24$/);
        }
      });
    });
  }
});

describe.skipIf(!haveKubectl)("deploy/agent rendered by kubectl kustomize", () => {
  const objects = haveKubectl ? render("agent", path.join(root, "deploy", "agent")) : [];
  const of = (kind: string) => objects.filter((o) => o.kind === kind);
  const named = (kind: string, name: string) => of(kind).find((o) => o.metadata.name === name);
  const agent = of("Deployment")[0];
  const container = agent?.spec.template.spec.containers[0];

  /** Whether a role's rules grant `verb` on group/resource. */
  const grants = (role: K8s, group: string, resource: string, verb: string) =>
    role.rules.some((r: K8s) => r.apiGroups.includes(group) && r.resources.includes(resource) && r.verbs.includes(verb));

  it("renders only objects valid against the Kubernetes schema, the agent's in its own namespace", () => {
    for (const o of objects) {
      const Model = SCHEMA_OF[o.kind as string];
      expect(Model, o.kind).toBeDefined();
      expect(() => new Model!(o as never).validate(), `${o.kind}/${o.metadata.name}`).not.toThrow();
    }
    expect(of("Deployment")).toHaveLength(1);
    expect(agent.metadata.namespace).toBe("policyplane-agent");
    expect(agent.spec).toMatchObject({ replicas: 1, strategy: { type: "Recreate" } });
    expect(of("Secret")).toEqual([]);
  });

  it("starts the agent tuned as the CLI's launcher would (its flags and allocator settings), with no launcher process", () => {
    const [node, ...rest] = container.command as string[];
    expect(node).toBe("node");
    expect(rest.slice(0, AGENT_NODE_FLAGS.length)).toEqual(AGENT_NODE_FLAGS);
    expect(rest.slice(AGENT_NODE_FLAGS.length, AGENT_NODE_FLAGS.length + 2)).toEqual(["bin/policyplane.mjs", "agent"]);
    const env = Object.fromEntries((container.env as K8s[]).filter((e) => "value" in e).map((e) => [e.name, e.value]));
    expect(env).toMatchObject({ [TUNED_ENV]: "1", GLIBC_TUNABLES: AGENT_GLIBC_TUNABLES });
    // Every $(VAR) in the command is defined: from the ConfigMap, or the token from the Secret.
    const config = named("ConfigMap", container.envFrom[0].configMapRef.name)!;
    const defined = new Set([...Object.keys(config.data), ...(container.env as K8s[]).map((e) => e.name)]);
    const referenced = (container.command as string[]).flatMap((a) => [...a.matchAll(/\$\(([A-Z_]+)\)/g)].map((m) => m[1]));
    expect(referenced).toEqual(["POLICYPLANE_SERVER", "POLICYPLANE_AGENT_TOKEN", "POLICYPLANE_CLUSTER"]);
    for (const name of referenced) expect(defined.has(name!), name).toBe(true);
    expect((container.env as K8s[]).find((e) => e.name === "POLICYPLANE_AGENT_TOKEN").valueFrom.secretKeyRef).toEqual({
      name: "policyplane-agent",
      key: "token",
    });
    const pod = agent.spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001 });
    expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    expect(container.volumeMounts.map((m: K8s) => m.mountPath)).toContain("/tmp");
  });

  it("lets the agent read every kind it watches and write every kind it applies, bound to its service account", () => {
    const read = named("ClusterRole", "policyplane-agent-read")!;
    const write = named("ClusterRole", "policyplane-agent-apply")!;
    for (const resource of ["namespaces", "pods", "services"])
      for (const verb of ["list", "watch"]) expect(grants(read, "", resource, verb), `${verb} ${resource}`).toBe(true);
    expect(grants(read, "apiextensions.k8s.io", "customresourcedefinitions", "list")).toBe(true);
    for (const r of [{ group: "networking.k8s.io", plural: "networkpolicies" }, ...POLICY_RESOURCES])
      for (const verb of ["list", "watch"]) expect(grants(read, r.group, r.plural, verb), `${verb} ${r.group}/${r.plural}`).toBe(true);
    for (const key of PLURALS.keys()) {
      const group = key.split("|")[0]!;
      for (const verb of ["create", "patch", "delete"])
        expect(grants(write, group, PLURALS.get(key)!, verb), `${verb} ${group}/${PLURALS.get(key)}`).toBe(true);
    }
    // Nothing else is written: no verb beyond applying and deleting policies, no wildcard.
    for (const rule of [...read.rules, ...write.rules]) {
      expect(rule.resources).not.toContain("*");
      expect(rule.verbs.every((v: string) => ["get", "list", "watch", "create", "patch", "delete"].includes(v))).toBe(true);
    }
    expect(read.rules.every((r: K8s) => r.verbs.every((v: string) => ["get", "list", "watch"].includes(v)))).toBe(true);
    const cni = named("Role", "policyplane-agent-cni")!;
    expect(cni.metadata.namespace).toBe("kube-system");
    expect(grants(cni, "apps", "daemonsets", "list")).toBe(true);
    const subject = { kind: "ServiceAccount", name: agent.spec.template.spec.serviceAccountName, namespace: "policyplane-agent" };
    for (const binding of [...of("ClusterRoleBinding"), ...of("RoleBinding")]) expect(binding.subjects).toEqual([subject]);
    expect(
      of("ClusterRoleBinding")
        .map((b) => b.roleRef.name)
        .sort(),
    ).toEqual(["policyplane-agent-apply", "policyplane-agent-read"]);
    expect(named("ServiceAccount", subject.name)?.metadata.namespace).toBe("policyplane-agent");
  });
});

describe("Dockerfile", () => {
  const dockerfile = readFileSync(path.join(root, "Dockerfile"), "utf8");
  it("builds in one stage and runs from a slim Node 20 base as the manifests' non-root user", () => {
    const froms = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const image of froms) expect(image).toMatch(/^node:20[\w.-]*-slim$/);
    expect(dockerfile).toMatch(/^USER 10001:10001$/m);
    expect(dockerfile).toMatch(/POLICYPLANE_PREBUILT=1/);
    expect(dockerfile).toMatch(/COPY --from=build/);
  });
  it("keeps local state and secrets out of the build context", () => {
    const ignored = readFileSync(path.join(root, ".dockerignore"), "utf8").split("\n");
    for (const entry of ["node_modules", ".next", ".data", ".env", ".git"]) expect(ignored).toContain(entry);
  });
});
