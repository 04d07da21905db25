import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { platformPolicies, readMixedSources } from "../policy/documents/mixed";
import { createEvaluator } from "../policy/eval/evaluator";
import { simulateLine } from "../policy/flows";
import { readManifestSources } from "../policy/read/manifests";
import { parseRecordLine } from "./records";
import { RecordTable, ReplayTally, replayByCluster, replayRecords, type RecordOutcome, type ReplayOutput, type ReplaySide } from "./replay";

const read = (path: string) => readFileSync(new URL(path, import.meta.url), "utf8");
const hubble = (name: string) => read(`../policy/__fixtures__/hubble/${name}`).trimEnd().split("\n");
const issue10 = "../policy/compile/__fixtures__/issue-10/";

/** A side from YAML texts, read as `replay --baseline/--proposal` reads its paths. */
function side(...texts: string[]): ReplaySide {
  const mixed = readMixedSources(texts.map((text, i) => ({ file: `side-${i}.yaml`, text })));
  const errors = [...mixed.manifests.errors, ...(mixed.documents?.errors ?? [])];
  if (errors.length > 0) throw new Error(errors.map((e) => e.message).join("\n"));
  return {
    inventory: mixed.manifests.cluster,
    policies: (model) => platformPolicies({ ...mixed, manifests: { ...mixed.manifests, cluster: model } }).policies,
  };
}

function replay(lines: string[], baseline: ReplaySide, proposal: ReplaySide, time?: number): ReplayOutput[] {
  const table = new RecordTable();
  for (const l of lines) table.add(parseRecordLine(l, table.endpointCache));
  return [...replayRecords(table, baseline, proposal, time === undefined ? {} : { time })];
}

const decided = (outputs: ReplayOutput[]) => outputs.filter((o): o is RecordOutcome => !("error" in o));
const flow = (src: string, dst: string, port: number, time?: string) => JSON.stringify({ src, dst, port, ...(time ? { time } : {}) });

const REVIEWS_FROM_RATINGS_ONLY = read("../policy/__fixtures__/hubble/bookinfo-reviews-from-ratings.yaml");

describe("replay of Hubble records, identities from the records' own labels", () => {
  const lines = [...hubble("hubble-otel-kind-bookinfo-tcp-first45.jsonl"), ...hubble("hubble-otel-kind-bookinfo-udp-dns-first33.jsonl")];

  it("gives the verdicts simulate gives for the same flows over an inventory of the same pods", () => {
    const outputs = replay(lines, side(""), side(REVIEWS_FROM_RATINGS_ONLY));
    const outcomes = decided(outputs);
    expect(outcomes.length).toBeGreaterThan(60);
    // The equivalent inventory, written out by hand from what the records carry: each observed pod
    // as a Pod object with its labels and address, in namespaces with their labels.
    const pods = new Map<string, { namespace: string; name: string; labels: Record<string, string>; ip?: string }>();
    for (const l of lines) {
      const r = parseRecordLine(l);
      if (!r.ok) continue;
      for (const ep of [r.record.src, r.record.dst])
        if (ep.kind === "pod" && ep.labels) pods.set(`${ep.namespace}/${ep.name}`, { ...ep, labels: ep.labels });
    }
    const namespaces = new Set([...pods.values()].map((p) => p.namespace));
    const inventory = [
      ...[...namespaces].map((ns) => `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${ns}}`),
      ...[...pods.values()].map(
        (p) =>
          `apiVersion: v1\nkind: Pod\nmetadata: {name: "${p.name}", namespace: ${p.namespace}, labels: ${JSON.stringify(p.labels)}}\nspec: {containers: [{name: c, image: c}]}${p.ip ? `\nstatus: {podIP: "${p.ip}"}` : ""}`,
      ),
    ].join("\n---\n");
    for (const [policies, pick] of [
      ["", (o: RecordOutcome) => o.baseline.verdict],
      [REVIEWS_FROM_RATINGS_ONLY, (o: RecordOutcome) => o.proposal.verdict],
    ] as const) {
      const ev = createEvaluator(
        ...(() => {
          const r = readManifestSources([{ file: "inventory.yaml", text: `${inventory}\n---\n${policies}` }]);
          return [r.cluster, r.policies] as const;
        })(),
      );
      for (const o of outcomes) {
        const simulated = simulateLine(ev, o.line, flow(o.src, o.dst, o.port).replace("}", `,"protocol":"${o.protocol}"}`));
        expect("verdict" in simulated ? simulated.verdict : simulated.error, `line ${o.line} ${o.src} -> ${o.dst}:${o.port}`).toBe(pick(o));
      }
    }
  });

  it("shows exactly the records a new deny affects as allow → deny, and the rest unchanged", () => {
    const outcomes = decided(replay(lines, side(""), side(REVIEWS_FROM_RATINGS_ONLY)));
    const toReviews = outcomes.filter((o) => o.dst.startsWith("bookinfo/reviews-") && o.port === 9080);
    expect(toReviews.length).toBeGreaterThan(0);
    for (const o of outcomes) expect(o.change, `line ${o.line}`).toBe(toReviews.includes(o) ? "newly-denied" : "unchanged-allow");
    expect(toReviews[0]!.proposal.verdict).toBe("deny");
  });

  it("matches the recorded drop of the Star Wars demo: xwing → deathstar:80 is newly denied by rule1", () => {
    const app = read("../policy/__fixtures__/cilium/starwars-http-sw-app.yaml");
    const rule1 = read("../policy/__fixtures__/cilium/starwars-sw-l3-l4-policy.yaml");
    const outputs = replay(hubble("cilium-docs-export-dropped-2.jsonl"), side(app), side(app, rule1));
    expect(outputs[0]).toEqual({ line: 1, error: "flow.l4: ICMPv6 is not a protocol network policy decides (TCP, UDP or SCTP)" });
    expect(outputs[1]).toMatchObject({
      line: 2,
      src: "default/xwing",
      srcPath: "default/xwing",
      dstPath: "default/deathstar",
      change: "newly-denied",
    });
  });
});

describe("replay over an inventory and documents (issue 10's organisation)", () => {
  const inventory = read(`${issue10}inventory.yaml`);
  const documents = read(`${issue10}documents.yaml`);
  const lines = [
    flow("ingress-nginx/controller", "shop/web", 8080),
    flow("monitoring/prometheus", "bank/ledger", 5432),
    flow("monitoring/prometheus", "shop/web", 8080),
    flow("shop/web", "bank/ledger", 5432),
  ];

  it("an identical proposal changes nothing", () => {
    const outcomes = decided(replay(lines, side(inventory, documents), side(inventory, documents)));
    expect(outcomes.map((o) => o.change)).toEqual(["unchanged-allow", "unchanged-deny", "unchanged-deny", "unchanged-deny"]);
  });

  it("a proposal that adds an allow shows those records as deny → allow", () => {
    const allow = `
apiVersion: policyplane.io/v1
kind: Policy
metadata: {name: shop-accepts-monitoring, tenant: shop}
spec:
  tier: namespace
  subject: {namespaces: [shop]}
  rules: [{direction: ingress, peers: [{workloads: {namespaces: [monitoring]}}], ports: [{port: 8080}]}]
`;
    const outcomes = decided(replay(lines, side(inventory, documents), side(inventory, documents, allow)));
    expect(outcomes.map((o) => o.change)).toEqual(["unchanged-allow", "unchanged-deny", "newly-allowed", "unchanged-deny"]);
    expect(outcomes[2]!.proposal).toMatchObject({ verdict: "allow" });
  });

  it("decides each record at its own time: an exception expiring inside the window counts to the millisecond", () => {
    const permanent = `
apiVersion: policyplane.io/v1
kind: Policy
metadata: {name: bank-accepts-monitoring, tenant: bank}
spec:
  tier: namespace
  subject: {namespaces: [bank]}
  rules: [{direction: ingress, peers: [{workloads: {namespaces: [monitoring]}}], ports: [{port: 5432}]}]
`;
    const timeBoxed = `
apiVersion: policyplane.io/v1
kind: Exception
metadata: {name: bank-accepts-monitoring-until-noon}
spec:
  subject: {namespaces: [bank]}
  direction: ingress
  peers: [{workloads: {namespaces: [monitoring]}}]
  ports: [{port: 5432}]
  justification: incident 77, reading the ledger database
  expiresAt: "2026-06-01T12:00:00.000Z"
`;
    const at = ["2026-06-01T11:00:00.000Z", "2026-06-01T11:59:59.999Z", "2026-06-01T12:00:00.000Z", "2026-06-02T00:00:00.000Z"];
    const timed = at.map((t) => flow("monitoring/prometheus", "bank/ledger", 5432, t));
    const outputs = replay(timed, side(inventory, documents, permanent), side(inventory, documents, timeBoxed));
    expect(decided(outputs).map((o) => o.change)).toEqual(["unchanged-allow", "unchanged-allow", "newly-denied", "newly-denied"]);
    // Without its own time a record is decided at the replay's instant.
    const untimed = decided(
      replay(
        [flow("monitoring/prometheus", "bank/ledger", 5432)],
        side(inventory, documents, permanent),
        side(inventory, documents, timeBoxed),
        Date.parse(at[1]!),
      ),
    );
    expect(untimed[0]!.change).toBe("unchanged-allow");
  });

  it("reports unreadable records and records it cannot place by line, and replays the rest", () => {
    const outputs = replay(
      [lines[0]!, '{"src":"shop/web"', flow("shop/nobody", "bank/ledger", 5432), "", lines[1]!],
      side(inventory, documents),
      side(inventory, documents),
    );
    expect(outputs.map((o) => ("error" in o ? `${o.line}: ${o.error}` : `${o.line}: ${o.change}`))).toEqual([
      "1: unchanged-allow",
      expect.stringMatching(/^2: not JSON: /),
      "3: pod shop/nobody is not in the inventory and the record carries neither its labels nor its address",
      "4: empty line (expected a JSON object)",
      "5: unchanged-deny",
    ]);
  });
});

describe("the tally", () => {
  it("counts flows and distinct paths per change, changed paths first, with first and last seen", () => {
    const inventory = read(`${issue10}inventory.yaml`);
    const documents = read(`${issue10}documents.yaml`);
    const lines = [
      JSON.stringify({ src: "shop/web", dst: "bank/ledger", port: 5432, time: "2026-06-01T10:00:00Z", count: 4 }),
      JSON.stringify({ src: "shop/web", dst: "bank/ledger", port: 5432, time: "2026-06-01T09:00:00Z" }),
      JSON.stringify({ src: "ingress-nginx/controller", dst: "shop/web", port: 8080, time: "2026-06-01T10:00:00Z" }),
      "not json",
    ];
    const tally = new ReplayTally();
    for (const o of replay(lines, side(inventory), side(inventory, documents))) tally.add(o);
    const s = tally.summary();
    expect(s).toMatchObject({ records: 4, unreadable: 1, flows: 6 });
    expect(s.changes).toEqual({
      "newly-denied": { flows: 5, paths: 1 },
      "newly-allowed": { flows: 0, paths: 0 },
      "unchanged-allow": { flows: 1, paths: 1 },
      "unchanged-deny": { flows: 0, paths: 0 },
    });
    expect(s.paths[0]).toMatchObject({
      src: "shop/web",
      dst: "bank/ledger",
      port: 5432,
      change: "newly-denied",
      flows: 5,
      records: 2,
      firstSeen: "2026-06-01T09:00:00.000Z",
      lastSeen: "2026-06-01T10:00:00.000Z",
      sampleLines: [1, 2],
    });
    expect(s.paths[0]!.proposalPath).toContain("baseline-default-deny");
  });
});

describe("records resolved through their own cluster's inventory", () => {
  const pods = (...names: string[]) =>
    names
      .map((n) => {
        const [ns, pod] = n.split("/");
        return `apiVersion: v1\nkind: Pod\nmetadata: {name: ${pod}, namespace: ${ns}, labels: {app: ${pod}}}\nspec: {containers: [{name: c, image: c}]}`;
      })
      .join("\n---\n");
  const namespaces =
    "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: bank}";
  const denyBank =
    "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny-all, namespace: bank}\nspec: {podSelector: {}, policyTypes: [Ingress]}";
  const east = `${namespaces}\n---\n${pods("shop/web", "bank/ledger", "shop/east-only")}`;
  const west = `${namespaces}\n---\n${pods("shop/web", "bank/ledger")}`;
  // The proposal denies the bank's ingress in east only; west's proposal is its baseline.
  const clusters = new Map([
    ["east", { baseline: side(east), proposal: side(east, denyBank) }],
    ["west", { baseline: side(west), proposal: side(west) }],
  ]);
  const record = (src: string, cluster?: string) =>
    JSON.stringify({ src, dst: "bank/ledger", port: 5432, ...(cluster ? { cluster } : {}) });

  function run(lines: string[], defaultCluster: string | undefined): ReplayOutput[] {
    const table = new RecordTable();
    for (const l of lines) table.add(parseRecordLine(l, table.endpointCache));
    return [...replayByCluster(table, clusters, defaultCluster, { time: 0 })];
  }

  it("decides each record by the cluster it names, and records naming none by the default cluster", () => {
    const lines = [record("shop/web", "east"), record("shop/web", "west"), record("shop/web"), record("shop/east-only", "east")];
    const change = (o: ReplayOutput) => ("error" in o ? o.error : o.change);
    expect(run(lines, "west").map(change)).toEqual(["newly-denied", "unchanged-allow", "unchanged-allow", "newly-denied"]);
    expect(run(lines, "east").map(change)).toEqual(["newly-denied", "unchanged-allow", "newly-denied", "newly-denied"]);
  });

  it("resolves a pod only through its record's cluster, and refuses a cluster it has no inventory for", () => {
    const lines = [record("shop/east-only", "west"), record("shop/web", "north"), record("shop/web"), record("shop/web", "east")];
    expect(run(lines, undefined).map((o) => ("error" in o ? `${o.line}: ${o.error}` : `${o.line}: ${o.change}`))).toEqual([
      "1: pod shop/east-only is not in the inventory and the record carries neither its labels nor its address",
      '2: cluster "north": no inventory for it (known: east, west)',
      "3: the record names no cluster, and the replay has no default cluster",
      "4: newly-denied",
    ]);
  });

  it("reads the cluster of a Hubble record from its node's name", () => {
    const line = (node: string) => hubble("cilium-docs-export-dropped-2.jsonl")[1]!.replaceAll("kind-kind/kind-worker", node);
    const table = new RecordTable();
    for (const node of ["east/worker-1", "north/worker-1", "worker-1"]) table.add(parseRecordLine(line(node), table.endpointCache));
    expect([0, 1, 2].map((i) => table.clusterOf(i))).toEqual(["east", "north", undefined]);
    const outputs = [...replayByCluster(table, clusters, "west", { time: 0 })];
    expect(outputs.map((o) => ("error" in o ? o.error : o.baseline.verdict))).toEqual([
      "allow",
      'cluster "north": no inventory for it (known: east, west)',
      "allow",
    ]);
  });
});

describe("record blocks (as worker threads hand them over)", () => {
  it("keep each record's cluster when the reading table numbers clusters differently", () => {
    const line = (cluster?: string) => JSON.stringify({ src: "shop/web", dst: "bank/ledger", port: 5432, ...(cluster ? { cluster } : {}) });
    const reader = new RecordTable();
    for (const c of ["west", undefined, "east"]) reader.add(parseRecordLine(line(c), reader.endpointCache));
    const first = reader.takeBlock();
    for (const c of ["east", "south"]) reader.add(parseRecordLine(line(c), reader.endpointCache));
    const second = reader.takeBlock();
    const table = new RecordTable();
    table.add(parseRecordLine(line("east"), table.endpointCache));
    const ids: number[] = [];
    for (const block of [first, second]) {
      table.registerEndpoints(block, ids);
      table.appendBlock(block, ids);
    }
    expect(Array.from({ length: table.length }, (_, i) => table.clusterOf(i))).toEqual([
      "east",
      "west",
      undefined,
      "east",
      "east",
      "south",
    ]);
    expect(table.clusters).toEqual(["east", "west", "south"]);
  });
});
