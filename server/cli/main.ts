/**
 * `policyplane` CLI: a thin adapter over server/policy. Exit codes: 0 ok,
 * 1 validation failures (manifest errors), 2 usage errors.
 */
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { Command, CommanderError, Option } from "commander";
import { readManifestPaths } from "../policy/read/fs";
import { createEvaluator } from "../policy/eval/evaluator";
import { formatExplanation, rationaleJson } from "../policy/eval/explain";
import { parseEndpoint, simulateLines, type SimulateRecord } from "../policy/flows";
import { computeReachability, reachabilityToDot } from "../policy/eval/reachability";
import type { PolicyInputError } from "../policy/errors";
import type { Protocol } from "../policy/model";
import { formatPortProtocol } from "../policy/util/text";
import { Out, table } from "./io";
import { registerDocumentCommands } from "./commands/documents";
import { UsageError, instant } from "./usage";


const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

function printProblems(problems: readonly PolicyInputError[], stream: NodeJS.WriteStream): void {
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

async function* readLines(file: string): AsyncGenerator<string> {
  const input = file === "-" ? process.stdin : createReadStream(file, { encoding: "utf8" });
  const rl = createInterface({ input, crlfDelay: Infinity });
  for await (const line of rl) yield line;
}

function program(setCode: (code: number) => void): Command {
  const act =
    <A extends unknown[]>(fn: (...args: A) => number | Promise<number>) =>
    async (...args: A): Promise<void> => {
      setCode(await fn(...args));
    };

  const prog = new Command("policyplane")
    .description("Policyplane: decide, explain and simulate Kubernetes network policy")
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  prog
    .command("simulate")
    .description("Evaluate flows (JSON lines) against Kubernetes manifests with plain Kubernetes semantics")
    .option("--manifests <file-or-dir>", "manifest file or folder (repeatable)", collect)
    .requiredOption("--flows <flows.jsonl>", 'flows, one JSON object per line: {"src":"ns/pod"|"ip","dst":"ns/pod"|"ip","port":443,"protocol":"TCP"} ("-" for stdin)')
    .addOption(new Option("--output <format>", "output format").choices(["jsonl", "table"]).default("jsonl"))
    .option("--secure-by-default", "deny when no policy decides (Policyplane platform default; off for plain Kubernetes)", false)
    .action(act(async (opts: { manifests?: string[]; flows: string; output: "jsonl" | "table"; secureByDefault: boolean }) => {
      const r = loadManifests(opts.manifests);
      if (!r) return 1;
      printProblems(r.warnings, process.stderr);
      const ev = createEvaluator(r.cluster, r.policies, { secureByDefault: opts.secureByDefault });
      const out = new Out();
      const rows: string[][] = [["LINE", "SRC", "DST", "PORT", "VERDICT", "WHY"]];
      const records: SimulateRecord[] = [];
      // Buffer the (async) lines, then evaluate synchronously; output order = input order.
      const lines: string[] = [];
      try {
        for await (const l of readLines(opts.flows)) lines.push(l);
      } catch (e) {
        throw new UsageError(`cannot read --flows ${opts.flows}: ${(e as Error).message}`);
      }
      for (const rec of simulateLines(ev, lines, { rationale: true })) {
        if (opts.output === "jsonl") out.line(JSON.stringify(rec));
        else records.push(rec);
      }
      if (opts.output === "table") {
        for (const rec of records) {
          if ("error" in rec) rows.push([String(rec.line), "", "", "", "ERROR", rec.error]);
          else rows.push([String(rec.line), rec.src, rec.dst, formatPortProtocol(rec.port, rec.protocol), rec.verdict, rec.path]);
        }
        out.line(table(rows));
      }
      out.flush();
      return 0;
    }));

  prog
    .command("validate")
    .description("Validate manifests; prints file:line:col: path: message for each problem (exit 1 on errors)")
    .argument("<files...>", "manifest files or folders")
    .option("-q, --quiet", "do not print warnings", false)
    .action(act((files: string[], opts: { quiet: boolean }) => {
      const r = readManifestPaths(files);
      printProblems(r.errors, process.stdout);
      if (!opts.quiet) printProblems(r.warnings, process.stdout);
      process.stderr.write(`${r.objectCount} object(s), ${r.errors.length} error(s), ${r.warnings.length} warning(s)\n`);
      return r.errors.length > 0 ? 1 : 0;
    }));

  prog
    .command("explain")
    .description("Explain the decision for one flow")
    .option("--manifests <file-or-dir>", "manifest file or folder (repeatable)", collect)
    .requiredOption("--from <endpoint>", "source: namespace/pod, an IP address or a DNS name")
    .requiredOption("--to <endpoint>", "destination: namespace/pod, an IP address or a DNS name")
    .requiredOption("--port <port>", "destination port")
    .addOption(new Option("--protocol <protocol>", "protocol").choices(["TCP", "UDP", "SCTP"]).default("TCP"))
    .option("--time <iso>", "evaluation time for exception expiry (default: now)", instant)
    .option("--secure-by-default", "deny when no policy decides", false)
    .addOption(new Option("--output <format>", "output format").choices(["text", "json"]).default("text"))
    .action(act((opts: { manifests?: string[]; from: string; to: string; port: string; protocol: Protocol; time?: string; secureByDefault: boolean; output: "text" | "json" }) => {
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
      if (opts.output === "json") process.stdout.write(`${JSON.stringify({ src: opts.from, dst: opts.to, port, protocol: opts.protocol, verdict: d.value.verdict, ...rationaleJson(d.value) }, null, 2)}\n`);
      else process.stdout.write(`${formatExplanation({ src: opts.from, dst: opts.to, port, protocol: opts.protocol }, d.value)}\n`);
      return 0;
    }));

  prog
    .command("reachability")
    .description("Graph of allowed paths aggregated by workload (source workload → destination workload or external destination, with ports and rationale)")
    .option("--manifests <file-or-dir>", "manifest file or folder (repeatable)", collect)
    .addOption(new Option("--output <format>", "output format").choices(["json", "dot"]).default("json"))
    .option("--secure-by-default", "deny when no policy decides", false)
    .action(act((opts: { manifests?: string[]; output: "json" | "dot"; secureByDefault: boolean }) => {
      const r = loadManifests(opts.manifests);
      if (!r) return 1;
      const ev = createEvaluator(r.cluster, r.policies, { secureByDefault: opts.secureByDefault });
      const graph = computeReachability(ev);
      process.stdout.write(opts.output === "dot" ? reachabilityToDot(graph) : `${JSON.stringify(graph, null, 2)}\n`);
      return 0;
    }));

  registerDocumentCommands(prog, setCode);
  return prog;
}

/** Run the CLI; resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  let code = 0;
  const prog = program((c) => (code = c));
  if (argv.length === 0) {
    prog.outputHelp();
    return 2;
  }
  for (const cmd of prog.commands) cmd.exitOverride().showHelpAfterError();
  try {
    await prog.parseAsync(argv, { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === "commander.helpDisplayed" || e.code === "commander.version" || e.code === "commander.help") return 0;
      return 2;
    }
    if (e instanceof UsageError) {
      process.stderr.write(`error: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  return code;
}
