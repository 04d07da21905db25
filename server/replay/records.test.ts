import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { csvRecordParser, parseRecordLine, type RecordResult } from "./records";

const fixture = (name: string) =>
  readFileSync(new URL(`../policy/__fixtures__/hubble/${name}`, import.meta.url), "utf8")
    .trimEnd()
    .split("\n");

const record = (r: RecordResult) => {
  if (!r.ok) throw new Error(`expected a record, got: ${r.error}`);
  return r.record;
};
const error = (r: RecordResult) => (r.ok ? `a record: ${JSON.stringify(r.record)}` : r.error);

describe("Hubble flow records", () => {
  it("reads a wrapped record: pods with their Kubernetes labels, namespace labels, address, port, protocol and time", () => {
    const r = record(parseRecordLine(fixture("hubble-otel-kind-bookinfo-tcp-first45.jsonl")[0]!));
    expect(r.src).toEqual({
      kind: "pod",
      namespace: "bookinfo",
      name: "productpage-v1-6b746f74dc-9rcxx",
      ip: "10.244.0.177",
      // Cilium's bookkeeping (policy cluster, service account, the pod's namespace) is not a pod label.
      labels: { app: "productpage", "sidecar.opentelemetry.io/injected": "bookinfo.otelcol-bookinfo", version: "v1" },
      nsLabels: { "kubernetes.io/metadata.name": "bookinfo" },
    });
    expect(r.dst).toMatchObject({ kind: "pod", namespace: "bookinfo", name: "reviews-v2-7bf8c9648f-r7bs2", labels: { app: "reviews" } });
    expect(r).toMatchObject({ port: 9080, protocol: "TCP", time: Date.parse("2021-11-10T10:40:56.465597700Z"), count: 1, reply: false });
  });

  it("reads the same record without the wrapper", () => {
    const wrapped = JSON.parse(fixture("hubble-otel-kind-bookinfo-tcp-first45.jsonl")[0]!) as { flow: unknown };
    expect(parseRecordLine(JSON.stringify(wrapped.flow))).toEqual(
      parseRecordLine(fixture("hubble-otel-kind-bookinfo-tcp-first45.jsonl")[0]!),
    );
  });

  it("places a pod the record knows only by labels and address (the other node's view) in the namespace its labels name", () => {
    const r = record(parseRecordLine(fixture("hubble-otel-kind-bookinfo-tcp-first45.jsonl")[3]!));
    expect(r.src).toMatchObject({
      kind: "pod",
      namespace: "bookinfo",
      name: "10.244.0.148",
      unnamed: true,
      labels: { app: "productpage" },
    });
  });

  it("evaluates a reply as the connection it answers: endpoints swapped, the server's port", () => {
    const line = fixture("hubble-otel-gke-istio-tcp-10.jsonl")[0]!; // reviews:15020 → host, reply
    const r = record(parseRecordLine(line));
    expect(r.reply).toBe(true);
    expect(r.src).toEqual({ kind: "ip", ip: "10.0.2.1" });
    expect(r.dst).toMatchObject({ kind: "pod", namespace: "bookinfo", name: "reviews-v1-545db77b95-s6jb8" });
    expect(r.port).toBe(15020);
  });

  it("reads the field-masked export and refuses ICMP, naming the field", () => {
    const [icmp, drop] = fixture("cilium-docs-export-dropped-2.jsonl");
    expect(error(parseRecordLine(icmp!))).toBe("flow.l4: ICMPv6 is not a protocol network policy decides (TCP, UDP or SCTP)");
    expect(record(parseRecordLine(drop!))).toMatchObject({
      src: { kind: "pod", namespace: "default", name: "xwing", ip: "10.244.1.60" },
      dst: { kind: "pod", namespace: "default", name: "deathstar-7848d6c4d5-th9v2" },
      port: 80,
    });
  });

  it("reads every fixture line as a record or a reason, never throwing", () => {
    for (const file of [
      "cilium-docs-export-dropped-2.jsonl",
      "hubble-otel-dns-l7-5.jsonl",
      "hubble-otel-gke-istio-tcp-10.jsonl",
      "hubble-otel-http-l7-5.jsonl",
      "hubble-otel-kind-bookinfo-tcp-first45.jsonl",
      "hubble-otel-kind-bookinfo-udp-dns-first33.jsonl",
      "hubble-otel-kind-icmpv4-18.jsonl",
    ]) {
      const results = fixture(file).map((l) => parseRecordLine(l));
      const readable = results.filter((r) => r.ok).length;
      if (file.includes("icmp")) expect(readable, file).toBe(0);
      else expect(readable, file).toBeGreaterThan(0);
    }
  });

  it("names what is missing in a bad record", () => {
    const base = JSON.parse(fixture("hubble-otel-kind-bookinfo-tcp-first45.jsonl")[0]!) as { flow: Record<string, unknown> };
    const without = (mutate: (f: Record<string, unknown>) => void) => {
      const copy = structuredClone(base);
      mutate(copy.flow);
      return error(parseRecordLine(JSON.stringify(copy)));
    };
    expect(without((f) => delete f.l4)).toBe("flow.l4: missing (no transport protocol and port)");
    expect(without((f) => ((f.l4 as { TCP: Record<string, unknown> }).TCP.destination_port = undefined))).toBe(
      "flow.l4.TCP.destination_port: expected a port 1-65535, got undefined",
    );
    expect(without((f) => (f.time = "yesterday"))).toBe('flow.time: expected an RFC 3339 instant, got "yesterday"');
    expect(
      without((f) => {
        f.source = {};
        f.IP = {};
      }),
    ).toBe("flow.source: neither a pod (namespace and pod_name, or Kubernetes labels) nor an IP address");
  });
});

describe("a Hubble record's cluster", () => {
  it("is the cluster part of the observing node's name (a cluster mesh's <cluster>/<node>)", () => {
    for (const line of fixture("cilium-docs-export-dropped-2.jsonl").slice(1))
      expect(record(parseRecordLine(line)).cluster).toBe("kind-kind");
    // Without the wrapper, the flow's own node_name.
    const flowOnly = (JSON.parse(fixture("cilium-docs-export-dropped-2.jsonl")[1]!) as { flow: unknown }).flow;
    expect(record(parseRecordLine(JSON.stringify(flowOnly))).cluster).toBe("kind-kind");
  });

  it("is none for a bare node name, else an endpoint's cluster_name", () => {
    const line = fixture("hubble-otel-kind-bookinfo-tcp-first45.jsonl")[0]!;
    expect(line).toContain('"node_name":"kind-control-plane"');
    expect(record(parseRecordLine(line)).cluster).toBeUndefined();
    const withClusterName = JSON.parse(line) as { flow: { source: Record<string, unknown> } };
    withClusterName.flow.source.cluster_name = "kind-east";
    expect(record(parseRecordLine(JSON.stringify(withClusterName))).cluster).toBe("kind-east");
  });
});

describe("Policyplane's own flow lines", () => {
  it("reads the simulate flow line with time, cluster and count", () => {
    expect(
      record(
        parseRecordLine(
          '{"src":"shop/web","dst":"203.0.113.7","port":443,"protocol":"tcp","time":"2026-06-01T10:00:00Z","cluster":"prod","count":12}',
        ),
      ),
    ).toEqual({
      src: { kind: "pod", namespace: "shop", name: "web" },
      dst: { kind: "ip", ip: "203.0.113.7" },
      port: 443,
      protocol: "TCP",
      time: Date.parse("2026-06-01T10:00:00Z"),
      count: 12,
      cluster: "prod",
      reply: false,
    });
  });

  it("refuses truncated JSON, a missing port, an unknown protocol, an unknown field and a bad count with the reason", () => {
    expect(error(parseRecordLine('{"src":"shop/web","dst":"bank/ledger","port":54'))).toMatch(/^not JSON: /);
    expect(error(parseRecordLine('{"src":"shop/web","dst":"bank/ledger"}'))).toBe("port: expected a port 1-65535, got undefined");
    expect(error(parseRecordLine('{"src":"shop/web","dst":"bank/ledger","port":5432,"protocol":"ICMP"}'))).toBe(
      'protocol: expected TCP, UDP or SCTP, got "ICMP"',
    );
    expect(error(parseRecordLine('{"src":"shop/web","dst":"bank/ledger","port":5432,"via":"x"}'))).toBe(
      "via: unknown field (expected src, dst, port, protocol, time, cluster, count)",
    );
    expect(error(parseRecordLine('{"src":"shop/web","dst":"bank/ledger","port":5432,"count":0}'))).toBe(
      "count: expected a whole number of flows >= 1, got 0",
    );
    expect(error(parseRecordLine(""))).toBe("empty line (expected a JSON object)");
    expect(error(parseRecordLine("[1,2]"))).toBe("expected a JSON object");
  });
});

describe("CSV", () => {
  it("reads columns in any order after a header, with quoting", () => {
    const parse = csvRecordParser("port,dst,src,Count,time");
    if ("error" in parse) throw new Error(parse.error);
    expect(record(parse('5432,bank/ledger,"shop/web",3,2026-06-01T10:00:00Z'))).toMatchObject({
      src: { kind: "pod", namespace: "shop", name: "web" },
      dst: { kind: "pod", namespace: "bank", name: "ledger" },
      port: 5432,
      protocol: "TCP",
      count: 3,
    });
    expect(error(parse("5432,bank/ledger"))).toBe("expected 5 columns as the header names, got 2");
    expect(error(parse('5432,"bank/ledger,shop/web,1,'))).toBe("not valid CSV (e.g. an unterminated quote)");
  });

  it("refuses a header without the needed columns or with unknown ones", () => {
    expect(csvRecordParser("src,dst")).toEqual({ error: "missing column(s) port" });
    expect(csvRecordParser("src,dst,port,verdict")).toEqual({
      error: "unknown column(s) verdict (expected src, dst, port, protocol, time, cluster, count)",
    });
  });
});
