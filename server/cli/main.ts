/**
 * `policyplane` CLI: a thin adapter over server/policy. Exit codes: 0 ok,
 * 1 invalid input (file:line:col errors) or an error-severity lint finding,
 * 2 usage errors. This module only declares the commands; each command's code
 * is imported when it runs, so `--help` loads commander and nothing else.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import type { EngineCommand } from "./code-cache";
import { UsageError, instant } from "./usage";

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

function program(setCode: (code: number) => void): Command {
  const act =
    <A extends unknown[]>(fn: (...args: A) => number | Promise<number>) =>
    async (...args: A): Promise<void> => {
      setCode(await fn(...args));
    };
  // With V8's code cache when run from the bundle (see ./code-cache.ts).
  const engine = async (command: EngineCommand) => (await import("./code-cache")).engineCommands(command);
  const documents = () => import("./commands/documents");
  const admin = () => import("./commands/admin");
  const replay = () => import("./commands/replay");
  const serve = () => import("./commands/serve");
  const ingest = () => import("./commands/ingest");
  const backup = () => import("./commands/backup");
  const agent = () => import("./commands/agent");

  const prog = new Command("policyplane")
    .description("Policyplane: decide, explain and simulate Kubernetes network policy")
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  prog
    .command("simulate")
    .description(
      "Evaluate flows (JSON lines) against Kubernetes manifests (plain Kubernetes semantics) or, when Policyplane documents (Policy, ComplianceConstraint, Exception) are among them, the platform's whole decision order with the Kubernetes objects as inventory; streams one JSON object per flow line, in order: {line, src, dst, port, protocol, verdict, path} (path: the one-line rationale), or {line, error}",
    )
    .option(
      "--manifests <file-or-dir>",
      "manifest file or folder (repeatable): Kubernetes objects, and Policyplane documents beside them",
      collect,
    )
    .requiredOption(
      "--flows <flows.jsonl>",
      'flows, one JSON object per line: {"src":"ns/pod"|"ip","dst":"ns/pod"|"ip","port":443,"protocol":"TCP","time":"<RFC 3339, optional>"} ("-" for stdin)',
    )
    .addOption(new Option("--output <format>", "output format").choices(["jsonl", "table"]).default("jsonl"))
    .option(
      "--rationale",
      "add the full rationale object to each jsonl line (layers, policies, rules with file:line, reasons, nearest allow); off by default",
      false,
    )
    .option(
      "--secure-by-default",
      "the platform default for every namespace: deny when no policy decides (off: plain Kubernetes allows)",
      false,
    )
    .option(
      "--time <iso>",
      "decide flow lines without a time at this instant (exceptions count iff startsAt <= time < expiresAt; default: now)",
      instant,
    )
    .action(act(async (opts) => (await engine("simulate")).runSimulate(opts)));

  prog
    .command("replay")
    .description(
      'Replay recorded traffic against a baseline and a proposal (each read as simulate --manifests reads its paths): Hubble flow records (`hubble observe -o json`, with or without the {"flow": …} wrapper) or simulate flow lines with optional time, cluster and count, detected per line; gzip is detected. Each record is decided at its own time. Exit 3 when --fail-on holds, 1 on errors in the manifests, 0 otherwise; unreadable records are reported by line and never stop the rest',
    )
    .requiredOption("--flows <file>", 'recorded flows ("-" for stdin)')
    .option("--baseline <paths...>", "the baseline: manifest files or folders (Kubernetes objects, and Policyplane documents beside them)")
    .option("--proposal <paths...>", "the proposal: manifest files or folders, as --baseline")
    .addOption(
      new Option(
        "--format <format>",
        "input format: auto (per line: Hubble or flow line JSON) or csv (a header naming src, dst, port[, protocol, time, cluster, count])",
      )
        .choices(["auto", "csv"])
        .default("auto"),
    )
    .addOption(
      new Option(
        "--output <format>",
        "summary: the four totals (flows and distinct paths) and the top changed paths; jsonl: one object per record, in input order, {line, src, dst, port, protocol, time, baseline, proposal, change, baselinePath, proposalPath}, or {line, error}; csv: the same per record",
      )
        .choices(["summary", "jsonl", "csv"])
        .default("summary"),
    )
    .addOption(
      new Option("--fail-on <change>", "exit 3 when any flow changes this way").choices(["newly-denied", "newly-allowed", "any-change"]),
    )
    .option("--top <n>", "how many changed paths the summary lists", "20")
    .option("--secure-by-default", "the platform default for every namespace on both sides: deny what no policy decides", false)
    .option("--time <iso>", "decide records without a time at this instant (default: now)", instant)
    .action(act(async (opts) => (await replay()).runReplay(opts)));

  prog
    .command("validate")
    .description("Validate manifests; prints file:line:col: path: message for each problem (exit 1 on errors)")
    .argument("<files...>", "manifest files or folders")
    .option("-q, --quiet", "do not print warnings", false)
    .action(act(async (files: string[], opts) => (await engine("validate")).runValidate(files, opts)));

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
    .action(act(async (opts) => (await engine("explain")).runExplain(opts)));

  prog
    .command("reachability")
    .description("Graph of allowed paths (source → destination workload, namespace or external destination, with ports and rationale)")
    .option("--manifests <file-or-dir>", "manifest file or folder (repeatable)", collect)
    .addOption(
      new Option("--group-by <level>", "what a node is: a workload (a bare Pod is its own workload) or a namespace")
        .choices(["workload", "namespace"])
        .default("workload"),
    )
    .addOption(
      new Option(
        "--output <format>",
        "json: the whole graph; dot: Graphviz; jsonl: streams one edge per line, then one line per node and a stats line (memory bounded by identities and groups, not edges)",
      )
        .choices(["json", "dot", "jsonl"])
        .default("json"),
    )
    .option("--secure-by-default", "deny when no policy decides", false)
    .action(act(async (opts) => (await engine("reachability")).runReachability(opts)));

  prog
    .command("compile")
    .description(
      "Compile Policyplane documents to Kubernetes objects (NetworkPolicy, AdminNetworkPolicy/BaselineAdminNetworkPolicy or ClusterNetworkPolicy, Cilium, Istio): one folder per cluster and namespace",
    )
    .argument("<files...>", "Policyplane YAML files or folders (Policy, ComplianceConstraint, Exception)")
    .option("--out <dir>", "output folder (required unless --verify)")
    .option(
      "--cluster-model <[name[@region]=]manifests>",
      "one cluster's manifests (Namespaces with tenant labels, workloads, Services); repeat per cluster",
      collect,
    )
    .addOption(
      new Option("--target <target>", "admin/baseline tier objects: AdminNetworkPolicy v1alpha1 or ClusterNetworkPolicy v1alpha2")
        .choices(["anp", "cnp-v1alpha2"])
        .default("anp"),
    )
    .option("--release <id>", "release identifier written to every object")
    .option("--now <iso>", "compile for this instant: exceptions not started or expired then are left out (default: now)", instant)
    .option(
      "--secure-by-default",
      "render the platform default for every namespace (deny what no policy decides) as the last baseline-tier object",
      false,
    )
    .option(
      "--verify",
      "evaluate the compiled objects with plain Kubernetes semantics against the platform's decision order over the documents; print each disagreement (src dst port/proto platform= cluster= cluster/target) and exit 1 when there are any",
      false,
    )
    .option("-q, --quiet", "do not print what the targets cannot express exactly", false)
    .action(act(async (files: string[], opts) => (await documents()).runCompile(files, opts)));

  prog
    .command("lint")
    .description(
      "Lint Policyplane documents: rules matching no workload, shadowed rules, broad allows, constraint conflicts, tenants without default deny, labels outside the taxonomy, compiled objects that would decide unlike the platform (exit 1 on an error finding)",
    )
    .argument("<files...>", "Policyplane YAML files or folders")
    .option("--manifests <[name[@region]=]manifests>", "one cluster's manifests, the inventory; repeat per cluster", collect)
    .option("--taxonomy <file>", "label taxonomy: {podLabels: {key: [values] | null}, namespaceLabels: {...}}")
    .addOption(new Option("--output <format>", "output format").choices(["text", "json"]).default("text"))
    .option(
      "--secure-by-default",
      "the platform default on for every namespace: one-sided allows and the compile check are judged with it (default: plain Kubernetes)",
      false,
    )
    .action(act(async (files: string[], opts) => (await documents()).runLint(files, opts)));

  prog
    .command("admin")
    .description("Administer an installation, on the server's database (DATABASE_URL, or its PGlite folder while the server is stopped)")
    .command("create")
    .description(
      "Create the first global admin and print a one-time link (24 hours) to set their password; refused (exit 1) once an admin exists",
    )
    .requiredOption("--email <email>", "the admin's e-mail address (an existing account of that e-mail becomes admin)")
    .option("--name <name>", "display name (default: the e-mail address)")
    .action(act(async (opts) => (await admin()).runAdminCreate(opts)));

  prog
    .command("serve")
    .description(
      "Run the REST API (/api/v1: decide, admission, change requests, …) without the console, on the server's database (DATABASE_URL; several replicas may share one PostgreSQL); machine tokens only",
    )
    .option("--port <port>", "port to listen on", "3100")
    .option("--host <host>", "address to listen on", "0.0.0.0")
    .option(
      "--tls-cert <file>",
      "serve HTTPS with this PEM certificate (chain after it), e.g. the admission webhook's Secret's tls.crt; re-read when the file changes (checked every 30 s)",
    )
    .option("--tls-key <file>", "the PEM private key of --tls-cert, e.g. the Secret's tls.key")
    .action(act(async (opts) => (await serve()).runServe(opts)));

  prog
    .command("backup")
    .description(
      "Write the whole store (policies and their versions, constraints, releases, change requests, exceptions, approval rules, clusters, people, tokens as hashes, the audit chain, …; not sign-in sessions) to one gzip bundle of JSON lines with checksums, from one consistent snapshot; records backup.created in the audit trail. Runs on the server's database (DATABASE_URL, or its PGlite folder while the server is stopped)",
    )
    .requiredOption("--out <file>", "the bundle to write (never overwritten; created readable by its owner only)")
    .action(act(async (opts) => (await backup()).runBackup(opts)));

  prog
    .command("restore")
    .description(
      "Restore a bundle written by `policyplane backup` into an empty database (DATABASE_URL, or a new PGlite folder) of the same schema, in one transaction: refused (exit 1, nothing written) when the database holds anything, the bundle is corrupt, or the restored audit chain does not verify with this installation's AUDIT_KEY",
    )
    .argument("<file>", "the bundle")
    .action(act(async (file: string) => (await backup()).runRestore(file)));

  prog
    .command("ingest")
    .description(
      "Push Hubble flow records (JSON lines as `hubble observe -o json [--follow]` prints them) to a Policyplane server's POST /api/v1/flows, gzip-compressed, in batches; prints the totals as one JSON line and each rejected line (by its line number in the input) on stderr. Exit 1 when a line was rejected or the server refused a batch",
    )
    .requiredOption("--server <url>", "the console's URL, e.g. https://policyplane.example.com")
    .requiredOption("--token <token>", "an API token with the flows scope (bound to the cluster, or name it with --cluster)")
    .option("--cluster <name>", "the cluster the flows come from (default: the token's cluster)")
    .option("--flows <file>", 'the records ("-" for stdin)', "-")
    .option("--batch-lines <n>", "records per batch", positiveInt, 5000)
    .option("--flush-ms <ms>", "send a partial batch after this long (for --follow streams)", positiveInt, 2000)
    .option("--in-flight <n>", "batches sent and not yet answered at most (the server works on several at once)", positiveInt, 4)
    .action(act(async (opts) => (await ingest()).runIngest(opts)));

  prog
    .command("agent")
    .description(
      "Keep a cluster's observed state current: list, then watch, its Namespaces, Pods, Services, NetworkPolicies and (where their CRDs are installed) AdminNetworkPolicies, BaselineAdminNetworkPolicies, ClusterNetworkPolicies, Cilium policies and Istio AuthorizationPolicies, detect its capabilities (CNI, admin policy API, Istio), and push them to the server (which computes the drift) within 2 s of a change and at every --interval (resync). Without --apply, report the release applied once nothing it wants is missing or modified. With --apply, read the cluster's desired state every --apply-interval seconds (an unchanged one costs a 304), apply it with server-side apply (field manager policyplane, conflicts forced), delete the objects labelled app.kubernetes.io/managed-by=policyplane that are no longer desired, never touch any other, and report the release applied or failed with the reasons: an exception that expires or is revoked leaves the cluster within --apply-interval plus the apply (about 10 s by default, under a minute). One JSON line per push (and per apply) on stdout; failures on stderr, retried with backoff",
    )
    .requiredOption("--server <url>", "the console's URL, e.g. https://policyplane.example.com")
    .requiredOption(
      "--token <token>",
      "an API token with the observed-state scope (and manifests, for --apply): an admin token, bound to the cluster",
    )
    .requiredOption("--cluster <name>", "the cluster's name in Policyplane")
    .option("--kubeconfig <file>", "kubeconfig to use (default: $KUBECONFIG, ~/.kube/config, or in-cluster)")
    .option("--context <name>", "the kubeconfig context (default: its current one)")
    .option("--interval <seconds>", "seconds between resyncs (full push, capabilities re-read, full re-apply)", positiveSeconds, 60)
    .option("--once", "sync once (and apply once, with --apply) and exit (0 when it succeeded)", false)
    .option("--apply", "apply the desired state (server-side apply) and delete managed objects no longer desired", false)
    .option("--apply-interval <seconds>", "with --apply: seconds between reads of the desired state", positiveSeconds, 10)
    .action(act(async (opts) => (await agent()).runAgent(opts)));

  return prog;
}

function positiveSeconds(value: string): number {
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || n <= 0)
    throw new InvalidArgumentError(`expected a number of seconds > 0, got ${JSON.stringify(value)}`);
  return n;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1) throw new InvalidArgumentError(`expected a whole number >= 1, got ${JSON.stringify(value)}`);
  return n;
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
    // A bug, not bad input: one line by default, the stack on request.
    process.stderr.write(
      `error: internal error: ${e instanceof Error ? e.message : String(e)}${process.env.POLICYPLANE_DEBUG ? `\n${(e as Error).stack ?? ""}` : " (POLICYPLANE_DEBUG=1 prints the stack)"}\n`,
    );
    return 1;
  }
  return code;
}
