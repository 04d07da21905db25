// A small Kubernetes API server for tests (a real HTTP boundary, not a mock of
// our code): it answers what `policyplane agent` calls as the API server lays it
// out (built-in kinds under /api/v1 and /apis/<group>/<version>, custom
// resources as their CRDs declare), and serves the CRDs of the custom kinds it
// holds. Lists carry a resourceVersion; `?watch=true&resourceVersion=N` streams
// the events after N (JSON lines) and keeps the connection open for the next
// ones; a resourceVersion older than the last compaction is answered with a 410
// Gone ERROR event, as etcd's compaction makes the real one do. Server-side apply
// (PATCH with application/apply-patch+yaml) and DELETE change the objects and
// send the watch events. It can be taken "away" (each connection is dropped)
// and brought back, and its watches can be cut.
import { writeFileSync } from "node:fs";
import { createServer, type ServerResponse, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { parse } from "yaml";

export type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string } & Record<string, unknown>;
} & Record<string, unknown>;

/**
 * A custom kind the server serves: its group, plural, kind and served versions (the first is the
 * storage version). By default a CRD (listed under apiextensions.k8s.io); `aggregated`: served by an
 * extension API server through an APIService (Calico's projectcalico.org/v3), so no CRD declares it
 * and only API discovery (GET /apis, /apis/<group>/<version>) shows it.
 */
export interface FakeCrd {
  group: string;
  plural: string;
  kind: string;
  versions: string[];
  scope?: "Namespaced" | "Cluster";
  aggregated?: boolean;
}

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED";

const BUILT_IN: Record<string, string> = {
  "v1/Namespace": "/api/v1/namespaces",
  "v1/Pod": "/api/v1/pods",
  "v1/Service": "/api/v1/services",
  "networking.k8s.io/v1/NetworkPolicy": "/apis/networking.k8s.io/v1/networkpolicies",
  "apps/v1/DaemonSet": "/apis/apps/v1/namespaces/kube-system/daemonsets",
};

/** A write the server took (server-side apply or delete), as the agent sent it. */
export interface KubeWrite {
  method: "PATCH" | "DELETE";
  path: string;
  contentType: string | null;
  fieldManager: string | null;
  force: string | null;
  body: unknown;
  status: number;
}

export interface FakeKubeApi {
  url: string;
  /** Requests answered other than watches (lists, writes), by path (without the query). */
  requests: string[];
  /** Every watch request, with its query (resourceVersion, labelSelector). */
  watches: { path: string; resourceVersion: string | null }[];
  /** Every paged list request (limit set): its path, offset and the items answered. */
  pages: { path: string; offset: number; size: number }[];
  /** Every PATCH and DELETE, in order. */
  writes: KubeWrite[];
  /** Replaces the objects served (no watch events: a cluster that changed while nobody watched). */
  setObjects(objects: readonly KubeObject[]): void;
  /** The objects served now. */
  objects(): KubeObject[];
  /** Changes one object and sends the event to the watches on its kind. */
  emit(type: WatchEventType, object: KubeObject): void;
  /** Compacts the history: every resourceVersion before now is gone (410), and open watches get the 410 ERROR event. */
  compact(): void;
  /** Ends every open watch (the API server's timeout, a load balancer's idle cut). */
  dropWatches(): void;
  /** Open watch connections. */
  openWatches(): number;
  /** Drops every connection while true (the API server unreachable). */
  setAway(away: boolean): void;
  /** Discovery of this aggregated group answers 503 (its extension API server down); null: answers again. */
  refuseDiscovery(group: string | null): void;
  /** Server-side apply of objects with this name fails with 422 and this message. */
  refuseApply(name: string, message: string | null): void;
  /** A kubeconfig file pointing at this server with a bearer token, written into `dir`. */
  kubeconfig(dir: string): string;
  close(): Promise<void>;
}

const keyOf = (o: KubeObject) =>
  `${o.apiVersion.split("/").slice(0, -1).join("/")}|${o.kind}|${o.metadata.namespace ?? ""}|${o.metadata.name}`;

export async function startFakeKubeApi(options: {
  crds: readonly FakeCrd[];
  objects: readonly KubeObject[];
  /** The bearer token it takes (default `kube-token`, what `kubeconfig()` writes). */
  token?: string;
}): Promise<FakeKubeApi> {
  let revision = 2000;
  /** Each object with the resourceVersion it was last written at. */
  let objects = new Map<string, KubeObject>();
  const history: { rv: number; type: WatchEventType; object: KubeObject }[] = [];
  let compactedAt = 0;
  let away = false;
  const refused = new Map<string, string>();
  let discoveryRefused: string | null = null;
  const requests: string[] = [];
  const watchLog: FakeKubeApi["watches"] = [];
  const writes: KubeWrite[] = [];
  const pages: FakeKubeApi["pages"] = [];
  const open = new Set<{ path: string; selected: (o: KubeObject) => boolean; res: ServerResponse }>();
  const stamp = (o: KubeObject, rv: number, uid?: unknown): KubeObject => ({
    ...o,
    metadata: {
      ...o.metadata,
      uid: uid ?? o.metadata.uid ?? `uid-${rv}`,
      resourceVersion: String(rv),
      creationTimestamp: "2026-01-01T00:00:00Z",
    },
  });
  const setAll = (next: readonly KubeObject[]) => {
    revision++;
    objects = new Map(next.map((o) => [keyOf(o), stamp(o, revision)]));
    // The history before a wholesale replacement cannot be replayed.
    history.length = 0;
    compactedAt = revision;
  };
  setAll(options.objects);

  const crdObjects = options.crds
    .filter((c) => !c.aggregated)
    .map((c) => ({
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
  /** API discovery: the groups served (built-in, CRDs and aggregated ones) and each group version's resources. */
  const BUILT_IN_GROUPS = ["apps/v1", "networking.k8s.io/v1", "apiextensions.k8s.io/v1"];
  const groupVersions = new Map<string, string[]>();
  for (const gv of BUILT_IN_GROUPS) groupVersions.set(gv.split("/")[0]!, [gv.split("/")[1]!]);
  for (const c of options.crds) {
    const versions = groupVersions.get(c.group) ?? [];
    for (const v of c.versions) if (!versions.includes(v)) versions.push(v);
    groupVersions.set(c.group, versions);
  }
  const apiGroupList = {
    kind: "APIGroupList",
    apiVersion: "v1",
    groups: [...groupVersions].map(([name, versions]) => ({
      name,
      versions: versions.map((version) => ({ groupVersion: `${name}/${version}`, version })),
      preferredVersion: { groupVersion: `${name}/${versions[0]}`, version: versions[0] },
    })),
  };
  /** GET /apis/<group>/<version>: the custom kinds served there (built-in groups: not needed by the agent, answered empty). */
  const apiResourceList = (group: string, version: string) =>
    groupVersions.get(group)?.includes(version)
      ? {
          kind: "APIResourceList",
          apiVersion: "v1",
          groupVersion: `${group}/${version}`,
          resources: options.crds
            .filter((c) => c.group === group && c.versions.includes(version))
            .map((c) => ({
              name: c.plural,
              singularName: c.kind.toLowerCase(),
              namespaced: (c.scope ?? "Namespaced") === "Namespaced",
              kind: c.kind,
              verbs: ["create", "delete", "get", "list", "patch", "update", "watch"],
            })),
        }
      : null;
  /** The list path of an object: built-in, or from its CRD (any served version answers). */
  const pathsOf = (o: { apiVersion: string; kind: string }): string[] => {
    const builtIn = BUILT_IN[`${o.apiVersion}/${o.kind}`];
    if (builtIn) return [builtIn];
    const group = o.apiVersion.split("/")[0];
    const crd = options.crds.find((c) => c.group === group && c.kind === o.kind);
    return crd ? crd.versions.map((v) => `/apis/${crd.group}/${v}/${crd.plural}`) : [];
  };
  const isBuiltIn = (o: KubeObject) => BUILT_IN[`${o.apiVersion}/${o.kind}`] !== undefined;
  /** As the API server serves an object: built-in kinds in a list lose apiVersion and kind; watch events keep them. */
  const served = (o: KubeObject, inList: boolean) => {
    if (!inList || !isBuiltIn(o)) return o;
    const { apiVersion: _a, kind: _k, ...rest } = o;
    return rest;
  };
  const send = (res: ServerResponse, type: string, object: unknown) => res.write(`${JSON.stringify({ type, object })}\n`);
  const gone = (res: ServerResponse) => {
    send(res, "ERROR", {
      kind: "Status",
      apiVersion: "v1",
      status: "Failure",
      reason: "Expired",
      code: 410,
      message: "too old resource version",
    });
    res.end();
  };
  const record = (type: WatchEventType, object: KubeObject) => {
    history.push({ rv: Number(object.metadata.resourceVersion), type, object });
    for (const w of open) if (pathsOf(object).includes(w.path) && w.selected(object)) send(w.res, type, object);
  };
  /** The kind an object path (PATCH, DELETE) names: /apis/<group>/<version>/[namespaces/<ns>/]<plural>/<name>. */
  const objectPath = (path: string) => {
    const m = /^\/apis\/([^/]+)\/([^/]+)\/(?:namespaces\/([^/]+)\/)?([^/]+)\/([^/]+)$/.exec(path);
    if (!m) return null;
    const [, group, version, namespace, plural, name] = m;
    const builtIn = Object.entries(BUILT_IN).find(([, p]) => p === `/apis/${group}/${version}/${plural}`);
    const crd = options.crds.find((c) => c.group === group && c.plural === plural && c.versions.includes(version!));
    const kind = builtIn ? builtIn[0].split("/").at(-1)! : crd?.kind;
    if (!kind) return null;
    return { apiVersion: `${group}/${version}`, kind, namespace, name: name! };
  };

  const server: Server = createServer((req, res) => {
    if (away) {
      req.socket.destroy();
      return;
    }
    const requestUrl = new URL(req.url ?? "/", "http://localhost");
    const path = requestUrl.pathname;
    const q = requestUrl.searchParams;
    // Equality label selectors (a=b,c=d), as the agent sends them.
    const selector = (q.get("labelSelector") ?? "")
      .split(",")
      .filter(Boolean)
      .map((t) => t.split("="));
    const selected = (o: KubeObject) => selector.every(([k, v]) => (o.metadata.labels as Record<string, string> | undefined)?.[k!] === v);
    const watching = q.get("watch") === "true" || q.get("watch") === "1";
    if (!watching) requests.push(path);
    const json = (status: number, body: unknown) => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    const status = (code: number, reason: string, message: string) =>
      json(code, { kind: "Status", apiVersion: "v1", status: "Failure", code, reason, message });
    if (req.headers.authorization !== `Bearer ${options.token ?? "kube-token"}`) return status(401, "Unauthorized", "Unauthorized");

    if (req.method === "PATCH" || req.method === "DELETE") {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        const write: KubeWrite = {
          method: req.method as "PATCH" | "DELETE",
          path,
          contentType: req.headers["content-type"] ?? null,
          fieldManager: q.get("fieldManager"),
          force: q.get("force"),
          body: text ? (parse(text) as unknown) : null,
          status: 0,
        };
        writes.push(write);
        const target = objectPath(path);
        const answer = (code: number, body: unknown) => ((write.status = code), json(code, body));
        if (!target) return answer(404, { kind: "Status", code: 404, reason: "NotFound", message: `the server could not find ${path}` });
        const key = keyOf({
          apiVersion: target.apiVersion,
          kind: target.kind,
          metadata: { name: target.name, namespace: target.namespace },
        });
        const existing = objects.get(key);
        if (req.method === "DELETE") {
          if (!existing)
            return answer(404, { kind: "Status", code: 404, reason: "NotFound", message: `${target.kind} "${target.name}" not found` });
          objects.delete(key);
          revision++;
          record("DELETED", stamp(existing, revision));
          return answer(200, { kind: "Status", status: "Success" });
        }
        if (write.contentType !== "application/apply-patch+yaml")
          return answer(415, { kind: "Status", code: 415, message: `unsupported patch type ${write.contentType}` });
        if (!write.fieldManager) return answer(400, { kind: "Status", code: 400, message: "PATCH /apply requires fieldManager" });
        const reason = refused.get(target.name);
        if (reason !== undefined) return answer(422, { kind: "Status", code: 422, reason: "Invalid", message: reason });
        const body = write.body as KubeObject;
        if (body?.kind !== target.kind || body.metadata?.name !== target.name)
          return answer(400, { kind: "Status", code: 400, message: "the body's kind and name must match the path" });
        revision++;
        const next = stamp({ ...body, apiVersion: target.apiVersion }, revision, existing?.metadata.uid);
        objects.set(key, next);
        record(existing ? "MODIFIED" : "ADDED", next);
        return answer(existing ? 200 : 201, next);
      });
      return;
    }

    if (path === "/apis" && !watching) return json(200, apiGroupList);
    const discovery = /^\/apis\/([^/]+)\/([^/]+)$/.exec(path);
    if (discovery && !watching && discovery[1] === discoveryRefused)
      return status(503, "ServiceUnavailable", `the server is currently unable to handle the request (${discovery[1]} is down)`);
    if (discovery && !watching) {
      const list = apiResourceList(discovery[1]!, discovery[2]!);
      return list ? json(200, list) : status(404, "NotFound", `the server could not find the requested resource ${path}`);
    }
    const known =
      path === "/apis/apiextensions.k8s.io/v1/customresourcedefinitions" ||
      Object.values(BUILT_IN).includes(path) ||
      options.crds.some((c) => c.versions.some((v) => path === `/apis/${c.group}/${v}/${c.plural}`));
    if (!known) return status(404, "NotFound", `the server could not find ${path}`);

    if (watching) {
      const from = q.get("resourceVersion");
      watchLog.push({ path, resourceVersion: from });
      res.writeHead(200, { "content-type": "application/json", "transfer-encoding": "chunked" });
      if (from === null || Number(from) < compactedAt) return gone(res);
      for (const e of history)
        if (e.rv > Number(from) && pathsOf(e.object).includes(path) && selected(e.object)) send(res, e.type, e.object);
      const w = { path, selected, res };
      open.add(w);
      res.on("close", () => open.delete(w));
      return;
    }

    const all =
      path === "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
        ? crdObjects
        : [...objects.values()].filter((o) => pathsOf(o).includes(path) && selected(o)).map((o) => served(o, true));
    // Paged lists (limit/continue): the continue token is the next offset and the resourceVersion the list started at.
    const limit = Number(q.get("limit") ?? 0);
    const [offset, listedAt] = (q.get("continue") ?? `0:${revision}`).split(":").map(Number) as [number, number];
    const items = limit > 0 ? all.slice(offset, offset + limit) : all;
    if (limit > 0) pages.push({ path, offset, size: items.length });
    const more = limit > 0 && offset + limit < all.length;
    return json(200, {
      apiVersion: "v1",
      kind: "List",
      metadata: { resourceVersion: String(listedAt), ...(more ? { continue: `${offset + limit}:${listedAt}` } : {}) },
      items,
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    watches: watchLog,
    pages,
    writes,
    setObjects: setAll,
    objects: () => [...objects.values()],
    emit(type, object) {
      revision++;
      const key = keyOf(object);
      const stamped = stamp(object, revision, objects.get(key)?.metadata.uid);
      if (type === "DELETED") objects.delete(key);
      else objects.set(key, stamped);
      record(type, stamped);
    },
    compact() {
      compactedAt = revision;
      history.length = 0;
      for (const w of open) gone(w.res);
      open.clear();
    },
    dropWatches() {
      for (const w of open) w.res.end();
      open.clear();
    },
    openWatches: () => open.size,
    setAway(value) {
      away = value;
      if (value) {
        for (const w of open) w.res.socket?.destroy();
        open.clear();
      }
    },
    refuseDiscovery(group) {
      discoveryRefused = group;
    },
    refuseApply(name, message) {
      if (message === null) refused.delete(name);
      else refused.set(name, message);
    },
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
          `- name: agent\n  user:\n    token: ${options.token ?? "kube-token"}`,
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
