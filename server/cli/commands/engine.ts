/**
 * `simulate`, `validate`, `explain` and `reachability`: thin adapters over the
 * engine, loaded only when one of them runs (so `--help` stays fast).
 */
import { collectSources, readManifestPaths } from "../../policy/read/fs";
import { platformPolicies, readMixedSources, type MixedReadResult } from "../../policy/documents/mixed";
import { createEvaluator } from "../../policy/eval/evaluator";
import { formatExplanation, rationaleJson } from "../../policy/eval/explain";
import { parseEndpoint, simulateLine, type SimulateRecord } from "../../policy/flows";
import { JsonlFlowStream } from "../../policy/flow-stream";
import { computeReachability, reachabilityToDot, streamReachability } from "../../policy/eval/reachability";
import { FLOW_LINE_LIMITS, formatSize } from "../../policy/read/bounded";
import type { PolicyInputError } from "../../policy/errors";
import type { Protocol } from "../../policy/model";
import { formatPortProtocol } from "../../policy/util/text";
import { Out, byteChunks, lineBatches, table } from "../io";
import { UsageError } from "../usage";

export function printProblems(problems: readonly PolicyInputError[], stream: NodeJS.WriteStream): void {
  for (const p of problems) stream.write(`${p.severity === "warning" ? "warning: " : ""}${p.message}\n`);
}

/** Read manifests for an evaluating command; returns null (after printing) when they have errors. */
function loadManifests(paths: string[] | undefined) {
  if (!paths || paths.length === 0) throw new UsageError("--manifests <file-or-dir> is required");
  const r = readManifestPaths(paths);
  if (r.errors.length > 0) {
    printProblems(r.errors, process.stderr);
    process.stderr.write(`${r.errors.length} error(s) in the manifests; nothing evaluated\n`);
    return null;
  }
  return r;
}

export interface SimulateCliOptions {
  manifests?: string[];
  flows: string;
  output: "jsonl" | "table";
  secureByDefault: boolean;
  rationale: boolean;
  time?: string;
}

/**
 * Manifests that may hold Policyplane documents beside the Kubernetes objects, read and checked.
 * Returns null (after printing) when either has errors.
 */
export function readMixedPaths(paths: string[] | undefined, option = "--manifests"): MixedReadResult | null {
  if (!paths || paths.length === 0) throw new UsageError(`${option} <file-or-dir> is required`);
  const { sources, errors } = collectSources(paths);
  const read = readMixedSources(sources);
  const all = [...errors, ...read.manifests.errors, ...(read.documents?.errors ?? [])];
  if (all.length > 0) {
    printProblems(all, process.stderr);
    process.stderr.write(`${all.length} error(s) in ${option === "--manifests" ? "the manifests" : option}; nothing evaluated\n`);
    return null;
  }
  if (read.documents && read.documents.templates.length > 0)
    process.stderr.write(
      `note: ${read.documents.templates.length} template(s) read and validated; templates are instantiated by the console, not evaluated\n`,
    );
  return read;
}

/** With documents, the platform's decision order over them (lowered against the inventory in the same paths). */
function loadMixed(paths: string[] | undefined) {
  const read = readMixedPaths(paths);
  return read && { cluster: read.manifests.cluster, ...platformPolicies(read) };
}

/** Streams: each chunk of flow lines is answered as soon as it is read, and reading waits while stdout is full. */
export async function runSimulate(opts: SimulateCliOptions): Promise<number> {
  const r = loadMixed(opts.manifests);
  if (!r) return 1;
  printProblems(r.warnings, process.stderr);
  const ev = createEvaluator(r.cluster, r.policies, { secureByDefault: opts.secureByDefault });
  const options = { rationale: opts.rationale, ...(opts.time ? { time: opts.time } : {}) };
  const out = new Out();
  try {
    if (opts.output === "jsonl") {
      const stream = new JsonlFlowStream(ev, options);
      // Each answer's memory is handed back once written, so the next chunk's answer reuses it.
      for await (const chunk of byteChunks(opts.flows)) {
        const answer = stream.push(chunk);
        if (out.bytes(answer, () => stream.recycle(answer))) await out.drain();
      }
      out.bytes(stream.end());
    } else {
      const rows: string[][] = [["LINE", "SRC", "DST", "PORT", "VERDICT", "WHY"]];
      let n = 0;
      for await (const batch of lineBatches(opts.flows, FLOW_LINE_LIMITS.maxChars)) {
        for (const text of batch) {
          n++;
          const rec: SimulateRecord =
            typeof text === "string"
              ? simulateLine(ev, n, text, options)
              : { line: n, error: `line ${n}: longer than ${formatSize(FLOW_LINE_LIMITS.maxChars)}; not read` };
          rows.push(
            "error" in rec
              ? [String(rec.line), "", "", "", "ERROR", rec.error]
              : [String(rec.line), rec.src, rec.dst, formatPortProtocol(rec.port, rec.protocol), rec.verdict, rec.path],
          );
        }
      }
      out.line(table(rows));
    }
  } catch (e) {
    throw new UsageError(`cannot read --flows ${opts.flows}: ${(e as Error).message}`);
  }
  await out.end();
  return 0;
}

export function runValidate(files: string[], opts: { quiet: boolean }): number {
  const r = readManifestPaths(files);
  printProblems(r.errors, process.stdout);
  if (!opts.quiet) printProblems(r.warnings, process.stdout);
  process.stderr.write(`${r.objectCount} object(s), ${r.errors.length} error(s), ${r.warnings.length} warning(s)\n`);
  return r.errors.length > 0 ? 1 : 0;
}

export interface ExplainCliOptions {
  manifests?: string[];
  from: string;
  to: string;
  port: string;
  protocol: Protocol;
  time?: string;
  secureByDefault: boolean;
  output: "text" | "json";
}

export function runExplain(opts: ExplainCliOptions): number {
  const src = parseEndpoint(opts.from);
  const dst = parseEndpoint(opts.to);
  if (!src) throw new UsageError(`--from: expected namespace/pod, an IP address or a DNS name, got ${JSON.stringify(opts.from)}`);
  if (!dst) throw new UsageError(`--to: expected namespace/pod, an IP address or a DNS name, got ${JSON.stringify(opts.to)}`);
  const port = Number(opts.port);
  if (!/^\d+$/.test(opts.port) || port < 1 || port > 65535) throw new UsageError(`--port: expected 1-65535, got ${opts.port}`);
  const r = loadManifests(opts.manifests);
  if (!r) return 1;
  const ev = createEvaluator(r.cluster, r.policies, { secureByDefault: opts.secureByDefault });
  const d = ev.decide({ src, dst, port, protocol: opts.protocol, ...(opts.time ? { time: opts.time } : {}) });
  if (!d.ok) throw new UsageError(d.error.message);
  if (opts.output === "json")
    process.stdout.write(
      `${JSON.stringify({ src: opts.from, dst: opts.to, port, protocol: opts.protocol, verdict: d.value.verdict, ...rationaleJson(d.value) }, null, 2)}\n`,
    );
  else process.stdout.write(`${formatExplanation({ src: opts.from, dst: opts.to, port, protocol: opts.protocol }, d.value)}\n`);
  return 0;
}

export interface ReachabilityCliOptions {
  manifests?: string[];
  output: "json" | "dot" | "jsonl";
  groupBy: "workload" | "namespace";
  secureByDefault: boolean;
}

export async function runReachability(opts: ReachabilityCliOptions): Promise<number> {
  const r = loadManifests(opts.manifests);
  if (!r) return 1;
  const ev = createEvaluator(r.cluster, r.policies, { secureByDefault: opts.secureByDefault });
  if (opts.output === "jsonl") {
    const stream = streamReachability(ev, { groupBy: opts.groupBy });
    const out = new Out();
    for (const edge of stream.edges) if (out.line(JSON.stringify(edge))) await out.drain();
    for (const node of stream.nodes) out.line(JSON.stringify({ node }));
    out.line(JSON.stringify({ stats: stream.stats() }));
    await out.end();
    return 0;
  }
  const graph = computeReachability(ev, { groupBy: opts.groupBy });
  process.stdout.write(opts.output === "dot" ? reachabilityToDot(graph) : `${JSON.stringify(graph, null, 2)}\n`);
  return 0;
}
