// A small Kubernetes API server for tests (a real HTTP boundary, not a mock of
// our code): it answers the list endpoints `policyplane agent` calls with the
// objects it is given, as the API server lays them out (built-in kinds under
// /api/v1 and /apis/<group>/<version>, custom resources as their CRDs declare),
// and serves the CRDs of the custom kinds it holds. It can be taken "away"
// (each connection is dropped) and brought back.
import { writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";

export type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string } & Record<string, unknown>;
} & Record<string, unknown>;

/** A CRD the server declares: its group, plural, kind and served versions (the first is the storage version). */
export interface FakeCrd {
  group: string;
  plural: string;
  kind: string;
  versions: string[];
  scope?: "Namespaced" | "Cluster";
}

const BUILT_IN: Record<string, string> = {
  "v1/Namespace": "/api/v1/namespaces",
  "v1/Pod": "/api/v1/pods",
  "v1/Service": "/api/v1/services",
  "networking.k8s.io/v1/NetworkPolicy": "/apis/networking.k8s.io/v1/networkpolicies",
  "apps/v1/DaemonSet": "/apis/apps/v1/namespaces/kube-system/daemonsets",
};

export interface FakeKubeApi {
  url: string;
  /** Requests answered, by path (without the query). */
  requests: string[];
  /** Replaces the objects served. */
  setObjects(objects: readonly KubeObject[]): void;
  /** Drops every connection while true (the API server unreachable). */
  setAway(away: boolean): void;
  /** A kubeconfig file pointing at this server with a bearer token, written into `dir`. */
  kubeconfig(dir: string): string;
  close(): Promise<void>;
}

export async function startFakeKubeApi(options: { crds: readonly FakeCrd[]; objects: readonly KubeObject[] }): Promise<FakeKubeApi> {
  let objects = [...options.objects];
  let away = false;
  const requests: string[] = [];
  const crdObjects = options.crds.map((c) => ({
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${c.plural}.${c.group}` },
    spec: {
      group: c.group,
      names: { plural: c.plural, kind: c.kind, listKind: `${c.kind}List`, singular: c.kind.toLowerCase() },
      scope: c.scope ?? "Namespaced",
      versions: c.versions.map((name, i) => ({ name, served: true, storage: i === 0, schema: { openAPIV3Schema: { type: "object" } } })),
    },
  }));
  /** The list path of an object: built-in, or from its CRD (any served version answers). */
  const pathsOf = (o: KubeObject): string[] => {
    const builtIn = BUILT_IN[`${o.apiVersion}/${o.kind}`];
    if (builtIn) return [builtIn];
    const group = o.apiVersion.split("/")[0];
    const crd = options.crds.find((c) => c.group === group && c.kind === o.kind);
    return crd ? crd.versions.map((v) => `/apis/${crd.group}/${v}/${crd.plural}`) : [];
  };
  const server: Server = createServer((req, res) => {
    if (away) {
      req.socket.destroy();
      return;
    }
    const requestUrl = new URL(req.url ?? "/", "http://localhost");
    const path = requestUrl.pathname;
    // Equality label selectors (a=b,c=d), as the agent sends them.
    const selector = (requestUrl.searchParams.get("labelSelector") ?? "")
      .split(",")
      .filter(Boolean)
      .map((t) => t.split("="));
    const selected = (o: KubeObject) => selector.every(([k, v]) => (o.metadata.labels as Record<string, string> | undefined)?.[k!] === v);
    requests.push(path);
    if (req.headers.authorization !== "Bearer kube-token") {
      res
        .writeHead(401, { "content-type": "application/json" })
        .end(JSON.stringify({ kind: "Status", code: 401, message: "Unauthorized" }));
      return;
    }
    const items =
      path === "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
        ? crdObjects
        : objects.filter((o) => pathsOf(o).includes(path) && selected(o));
    const known =
      path === "/apis/apiextensions.k8s.io/v1/customresourcedefinitions" ||
      Object.values(BUILT_IN).includes(path) ||
      options.crds.some((c) => c.versions.some((v) => path === `/apis/${c.group}/${v}/${c.plural}`));
    if (!known) {
      res
        .writeHead(404, { "content-type": "application/json" })
        .end(JSON.stringify({ kind: "Status", code: 404, reason: "NotFound", message: `the server could not find ${path}` }));
      return;
    }
    // As the API server lists built-in kinds: items without apiVersion and kind, server-set metadata added.
    const served = items.map((o, i) => {
      const { apiVersion, kind, ...rest } = o;
      const metadata = { ...o.metadata, uid: `uid-${i}`, resourceVersion: String(1000 + i), creationTimestamp: "2026-01-01T00:00:00Z" };
      return pathsOf(o)[0]?.startsWith("/apis/") && !BUILT_IN[`${apiVersion}/${kind}`]
        ? { apiVersion, kind, ...rest, metadata }
        : { ...rest, metadata };
    });
    res
      .writeHead(200, { "content-type": "application/json" })
      .end(JSON.stringify({ apiVersion: "v1", kind: "List", metadata: { resourceVersion: "2000" }, items: served }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    setObjects: (next) => (objects = [...next]),
    setAway: (value) => (away = value),
    kubeconfig(dir) {
      const file = join(dir, "kubeconfig.yaml");
      writeFileSync(
        file,
        [
          "apiVersion: v1",
          "kind: Config",
          "clusters:",
          // Plain HTTP: @kubernetes/client-node takes it only with TLS verification off (as for `kubectl proxy`).
          `- name: fake\n  cluster:\n    server: ${url}\n    insecure-skip-tls-verify: true`,
          "users:",
          "- name: agent\n  user:\n    token: kube-token",
          "contexts:",
          "- name: fake\n  context:\n    cluster: fake\n    user: agent",
          "current-context: fake",
          "",
        ].join("\n"),
      );
      return file;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
