/**
 * `policyplane compile` and `policyplane lint`: thin adapters over
 * server/policy/documents, compile and lint. Exit codes: 0 ok, 1 invalid input
 * (file:line:col errors) or an error-severity lint finding, 2 usage errors.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, extname, isAbsolute, relative, resolve, sep } from "node:path";
import { z } from "zod";
import { readManifestPaths } from "../../policy/read/fs";
import { parseSource } from "../../policy/read/yaml";
import type { PolicyInputError } from "../../policy/errors";
import { PLATFORM_DEFAULT_ALL, PLATFORM_DEFAULT_OFF, emptyCluster, type ClusterModel } from "../../policy/model";
import { readDocumentPaths } from "../../policy/documents/fs";
import { formatIssues } from "../../policy/read/issues";
import { TENANT_LABEL, type TargetCluster } from "../../policy/documents/lower";
import { NS_NAME_LABEL } from "../../policy/model";
import type { LocatedDocument } from "../../policy/documents/read";
import { compileDocuments, toYaml, type CompileTarget } from "../../policy/compile/compile";
import { formatVerifyFinding, verifyCompiled } from "../../policy/compile/verify";
import { SEVERITY_ORDER, formatFinding, lint, type LabelTaxonomy } from "../../policy/lint/lint";
import { UsageError } from "../usage";

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

const stdio: Io = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) };

function printProblems(io: Io, problems: readonly PolicyInputError[]): void {
  for (const p of problems) io.err(`${p.severity === "warning" ? "warning: " : ""}${p.message}\n`);
}

/** `[name[@region]=]path`: one cluster's manifests (file or folder); the name defaults to the path's base name. */
export function parseClusterSpec(spec: string): { name: string; region?: string; path: string } {
  const m = /^([a-z0-9][-a-z0-9]*)(?:@([a-z0-9][-a-z0-9]*))?=(.+)$/.exec(spec);
  if (m) return { name: m[1]!, ...(m[2] ? { region: m[2] } : {}), path: m[3]! };
  return { name: basename(spec, extname(spec)) || "cluster", path: spec };
}

function loadClusters(io: Io, specs: readonly string[]): TargetCluster[] | null {
  const clusters: TargetCluster[] = [];
  let failed = false;
  for (const spec of specs) {
    const { name, region, path } = parseClusterSpec(spec);
    const r = readManifestPaths([path]);
    if (r.errors.length > 0) {
      printProblems(io, r.errors);
      failed = true;
      continue;
    }
    clusters.push({ name, ...(region ? { region } : {}), model: r.cluster });
  }
  return failed ? null : clusters;
}

/**
 * Without a cluster model, the namespaces the documents name are assumed to
 * exist, labelled with the tenant of the namespace-tier policy that names them.
 */
export function clusterFromDocuments(docs: readonly LocatedDocument[], name = "default"): TargetCluster {
  const model: ClusterModel = emptyCluster();
  const tenantOf = new Map<string, string>();
  for (const { document: d } of docs) {
    for (const ns of d.spec.subject.namespaces ?? []) {
      const tenant = d.kind === "Policy" && d.spec.tier === "namespace" ? d.metadata.tenant : d.spec.subject.tenant;
      if (tenant && !tenantOf.has(ns)) tenantOf.set(ns, tenant);
      else if (!tenantOf.has(ns)) tenantOf.set(ns, "");
    }
  }
  for (const [ns, tenant] of [...tenantOf].sort(([a], [b]) => a.localeCompare(b)))
    model.namespaces.push({ name: ns, labels: { [NS_NAME_LABEL]: ns, ...(tenant ? { [TENANT_LABEL]: tenant } : {}) } });
  return { name, model };
}

function readInputs(io: Io, files: readonly string[]): LocatedDocument[] | null {
  const r = readDocumentPaths(files);
  if (r.errors.length > 0) {
    printProblems(io, r.errors);
    io.err(`${r.errors.length} error(s) in the policy documents; nothing done\n`);
    return null;
  }
  if (r.templates.length > 0)
    io.err(`note: ${r.templates.length} template(s) read and validated; templates are instantiated by the console, not compiled\n`);
  return r.documents;
}

export interface CompileCliOptions {
  out?: string;
  clusterModel?: string[];
  target: CompileTarget;
  release?: string;
  now?: string;
  quiet?: boolean;
  secureByDefault?: boolean;
  verify?: boolean;
}

export function runCompile(files: string[], opts: CompileCliOptions, io: Io = stdio): number {
  if (!opts.out && !opts.verify) throw new UsageError("--out <dir> is required (or --verify to only check the compile)");
  const docs = readInputs(io, files);
  if (!docs) return 1;
  let clusters: TargetCluster[];
  if (opts.clusterModel && opts.clusterModel.length > 0) {
    const loaded = loadClusters(io, opts.clusterModel);
    if (!loaded) return 1;
    clusters = loaded;
  } else {
    clusters = [clusterFromDocuments(docs)];
    io.err('note: no --cluster-model; assuming the namespaces the documents name, in their policies\' tenants, in one cluster "default"\n');
  }
  let failed = false;
  let disagreed = 0;
  let written = 0;
  const now = opts.now ?? new Date().toISOString();
  const platformDefault = opts.secureByDefault ? PLATFORM_DEFAULT_ALL : PLATFORM_DEFAULT_OFF;
  for (const cluster of clusters) {
    const r = compileDocuments(docs, cluster, {
      target: opts.target,
      now,
      platformDefault,
      ...(opts.release ? { release: opts.release } : {}),
    });
    if (!opts.quiet) printProblems(io, r.warnings);
    if (r.errors.length > 0) {
      printProblems(io, r.errors);
      io.err(`cluster ${cluster.name}: ${r.errors.length} error(s) in the compiled objects; nothing written for it\n`);
      failed = true;
      continue;
    }
    if (opts.verify) {
      const v = verifyCompiled(r, { target: opts.target, platformDefault, time: now });
      for (const f of [...v.disagreements, ...v.notExpressible]) io.out(`${formatVerifyFinding(f)}\n`);
      io.err(
        `${cluster.name}/${opts.target}: ${v.flows} flow(s) compared, ${v.disagreements.length} disagreement(s), ${v.notExpressible.length} not expressible\n`,
      );
      disagreed += v.disagreements.length;
    }
    if (!opts.out) continue;
    // Names come from the documents and the cluster model: one such as `../../x` must not place a file outside --out.
    const root = resolve(opts.out);
    const files = r.objects.map((o) => ({ o, file: resolve(root, o.path) }));
    const escaping = files.filter(({ file }) => !isInside(root, file));
    if (escaping.length > 0) {
      for (const { o } of escaping)
        io.err(
          `${o.path}: resolves outside --out ${opts.out} (the namespace or object name is not a valid Kubernetes name); refusing to write it\n`,
        );
      io.err(`cluster ${cluster.name}: ${escaping.length} object(s) would be written outside --out; nothing written for it\n`);
      failed = true;
      continue;
    }
    for (const { o, file } of files) {
      try {
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, toYaml([o]));
      } catch (e) {
        throw new UsageError(`cannot write ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      written++;
    }
    io.out(
      `${cluster.name}: ${r.objects.length} object(s), ${r.warnings.length} warning(s)${r.lowered.outOfScope.length ? `, out of scope: ${r.lowered.outOfScope.join(", ")}` : ""}\n`,
    );
  }
  if (opts.out) io.err(`wrote ${written} file(s) under ${opts.out}\n`);
  return failed || disagreed > 0 ? 1 : 0;
}

/** True when `file` is strictly below `root` (both absolute and resolved). */
function isInside(root: string, file: string): boolean {
  const rel = relative(root, file);
  return rel !== "" && rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

const taxonomySchema = z.strictObject({
  podLabels: z.record(z.string(), z.array(z.string()).nullable()).optional(),
  namespaceLabels: z.record(z.string(), z.array(z.string()).nullable()).optional(),
});

export function readTaxonomy(file: string): LabelTaxonomy {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new UsageError(`--taxonomy ${file}: ${(e as Error).message}`);
  }
  // The same bounded reader as manifests: a hostile file is a located refusal.
  const parsed = parseSource(file, text);
  if (parsed.errors.length > 0) throw new UsageError(parsed.errors.map((e) => e.message).join("; "));
  const raw = parsed.objects[0]?.value ?? null;
  const r = taxonomySchema.safeParse(raw, { reportInput: true });
  if (!r.success)
    throw new UsageError(
      `--taxonomy ${file}: expected {podLabels: {key: [values] | null}, namespaceLabels: {...}}: ${formatIssues(r.error.issues).join("; ")}`,
    );
  return r.data;
}

export interface LintCliOptions {
  manifests?: string[];
  taxonomy?: string;
  output: "text" | "json";
  secureByDefault?: boolean;
}

export function runLint(files: string[], opts: LintCliOptions, io: Io = stdio): number {
  const docs = readInputs(io, files);
  if (!docs) return 1;
  const clusters = loadClusters(io, opts.manifests ?? []);
  if (!clusters) return 1;
  const taxonomy = opts.taxonomy ? readTaxonomy(opts.taxonomy) : undefined;
  const findings = lint({
    documents: docs,
    clusters,
    ...(taxonomy ? { taxonomy } : {}),
    secureByDefault: opts.secureByDefault ?? false,
    compileCheck: true,
  });
  const count = (s: string) => findings.filter((f) => f.severity === s).length;
  if (opts.output === "json")
    io.out(`${JSON.stringify({ findings, summary: Object.fromEntries(SEVERITY_ORDER.map((s) => [s, count(s)])) }, null, 2)}\n`);
  else {
    for (const f of findings) io.out(`${formatFinding(f)}\n`);
    io.err(
      `${docs.length} document(s), ${clusters.length} cluster(s): ${count("error")} error(s), ${count("warning")} warning(s), ${count("info")} info\n`,
    );
  }
  return count("error") > 0 ? 1 : 0;
}
