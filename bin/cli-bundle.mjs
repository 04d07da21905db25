// The CLI's prebuilt JavaScript bundle: our TypeScript sources bundled by
// esbuild (node_modules stay external, loaded as installed), cached under
// node_modules/.cache and keyed by the content of every source file that went
// into it, so an edited source always means a rebuilt bundle, never stale code.
// A start whose sources all have the size and modification time they had when
// the bundle was built takes it without reading them (and without loading
// OpenSSL to hash them: ~2 MB of a long-running `policyplane agent`).
// `npm install` builds it (the `prepare` script); the CLI rebuilds it on first
// run after any change.
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire, isBuiltin } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const root = fileURLToPath(new URL("..", import.meta.url));
const cacheDirOf = (base) => join(base, "node_modules", ".cache", "policyplane-cli");
/** Earlier bundles kept beside the current one (see buildBundle). */
const KEPT_EARLIER_BUNDLES = 2;
/** Besides the bundled sources: what changes how they are bundled. */
const CONFIG_INPUTS = ["tsconfig.json", "package.json", "bin/cli-bundle.mjs"];

/** A file's size and modification time, as the stamp records them. */
const statOf = (base, p) => {
  const st = statSync(join(base, p));
  return `${st.size}:${st.mtimeMs}`;
};

/** The content key of the inputs, and each one's size and modification time (taken before it is read). */
function keyOf(base, inputs) {
  const { createHash } = createRequire(import.meta.url)("node:crypto");
  const h = createHash("sha256");
  const stats = {};
  for (const p of inputs) {
    stats[p] = statOf(base, p);
    h.update(p)
      .update("\0")
      .update(readFileSync(join(base, p)))
      .update("\0");
  }
  return { key: h.digest("hex"), stats };
}

/** The bundle's path if it was built from the sources as they are now, else null. */
export function freshBundle(base = root) {
  try {
    const stamp = JSON.parse(readFileSync(join(cacheDirOf(base), "stamp.json"), "utf8"));
    const entry = join(cacheDirOf(base), stamp.bundle, "main.js");
    // Untouched since the build (same size and modification time): no need to read them.
    if (stamp.stats && stamp.inputs.every((p) => stamp.stats[p] === statOf(base, p))) return entry;
    return keyOf(base, stamp.inputs).key === stamp.key ? entry : null;
  } catch {
    return null; // no bundle yet, or a source it was built from is gone
  }
}

/**
 * Packages bundled in rather than loaded from node_modules at run time: what every evaluating command
 * loads. As installed they are ~100 ES module files (zod alone 95) whose loading was a third of a
 * simulate's start; bundled they are part of a chunk. The bundle's key includes the package.json of
 * every package bundled (their version), so an upgrade rebuilds it.
 */
const BUNDLED_PACKAGES = ["zod", "yaml", "js-yaml", "commander"];
/**
 * @kubernetes/client-node (the agent's) is bundled with everything it imports, tree-shaken: its
 * index, and even KubeConfig's own file, import the generated API (every API class and ~1,000 model
 * classes: 70 MB of the agent's memory once loaded) though the agent uses none of it. Its files are
 * marked free of side effects (they only declare classes), so esbuild keeps what is reachable.
 */
const KUBE_CLIENT = "@kubernetes/client-node";
/**
 * What KubeConfig (dist/config.js) imports only for some kubeconfigs, loaded when one needs it rather
 * than with KubeConfig (a stand-in module in its place): the OIDC, Azure and GCP auth providers
 * (openid-client, jsonpath-plus with node:vm: ~200 KB of code) in a chunk of their own, imported on
 * the first request of a user that has that provider; the proxy agents (socks with ip-address,
 * hpagent) required on the first connection through a proxy (`proxy-url`); node-fetch (with zlib),
 * for `applyToFetchOptions`' Headers and the generated API's fetch, which the agent does not call.
 * A kubeconfig without them (a service account's, a token's, client certificates, exec plugins)
 * never loads them: with child_process (below), ~1.5 MB less V8 heap and ~4 MB less RSS at rest.
 */
const KUBE_LAZY_AUTH = {
  "./oidc_auth.js": ["OpenIDConnectAuth", "oidc"],
  "./azure_auth.js": ["AzureAuth", "azure"],
  "./gcp_auth.js": ["GoogleCloudPlatformAuth", "gcp"],
};
const KUBE_LAZY_CLASSES = {
  "socks-proxy-agent": ["SocksProxyAgent"],
  hpagent: ["HttpProxyAgent", "HttpsProxyAgent"],
  "node-fetch": ["Headers"],
};
/** How the generated API's default http library calls node-fetch (createConfiguration, which KubeConfig imports). */
const LAZY_FETCH = `export default (...args) => kubeDependency("node-fetch")(...args);\n`;
/**
 * How a stand-in loads the real package: from node_modules as installed, where @kubernetes/client-node
 * resolves it (its own dependency), not bundled, so that the agent's chunk does not carry their code
 * (~270 KB of source: socks, ip-address, smart-buffer, node-fetch, debug…) as a string in V8's heap.
 */
const KUBE_DEPENDENCY = `import { createRequire } from "node:module";
const kubeDependency = (name) => createRequire(createRequire(import.meta.url).resolve("${KUBE_CLIENT}/package.json"))(name);
`;
/**
 * Node's child_process (~0.6 MB resident once loaded), which KubeConfig's files (exec plugins, WSL's
 * kubeconfig, the GCP and Azure providers' token commands) and commander (executable subcommands,
 * which the CLI has none of) import for a call most runs never make: every function of its API,
 * loading the module on the first call (the file that calls one may be added or changed by an upgrade).
 */
const LAZY_CHILD_PROCESS = ["exec", "execFile", "execFileSync", "execSync", "fork", "spawn", "spawnSync"];
const LAZY_CHILD_PROCESS_IMPORTERS = [`/node_modules/${KUBE_CLIENT}/`, "/node_modules/commander/"];
/** The stand-in module for one of KubeConfig's optional imports (`what`: a key of KUBE_LAZY_AUTH or KUBE_LAZY_CLASSES, or node:child_process). */
function kubeLazyModule(what, configDir) {
  if (what in KUBE_LAZY_AUTH) {
    const [name, provider] = KUBE_LAZY_AUTH[what];
    // As the real class answers (`user.authProvider.name`); the real one, per KubeConfig, holds its token state.
    return `export class ${name} {
  #real;
  isAuthProvider(user) { return !!user && !!user.authProvider && user.authProvider.name === ${JSON.stringify(provider)}; }
  async applyAuthentication(user, opts) {
    this.#real ??= import(${JSON.stringify(join(configDir, what))}).then((m) => new m.${name}());
    return (await this.#real).applyAuthentication(user, opts);
  }
}
`;
  }
  if (what === "node:child_process")
    return `${LAZY_CHILD_PROCESS.map((f) => `export const ${f} = (...args) => require("node:child_process").${f}(...args);\n`).join("")}export default { ${LAZY_CHILD_PROCESS.join(", ")} };\n`;
  // KubeConfig constructs them synchronously: a require inside the constructor, on that first call.
  return (
    KUBE_DEPENDENCY +
    (what === "node-fetch" ? LAZY_FETCH : "") +
    KUBE_LAZY_CLASSES[what]
      .map(
        (name) =>
          `export class ${name} { constructor(...args) { return new (kubeDependency(${JSON.stringify(what)}).${name})(...args); } }\n`,
      )
      .join("")
  );
}
/**
 * zod's message translations: zod exports all of them (`z.locales`, ~50 languages, half of zod's
 * source) though it uses only English unless told otherwise, which the CLI never does. In the bundle
 * `z.locales` holds English alone: ~360 KB less source for every command that validates to compile.
 */
const ZOD_LOCALES = /\/node_modules\/zod\/v4\/(classic\/external|core\/index)\.js$/;
const ZOD_ENGLISH_ONLY = (localesDir) => `export { default as en } from ${JSON.stringify(join(localesDir, "en.js"))};\n`;
const resolveFrom = (specifier, dir) => fileURLToPath(import.meta.resolve(specifier, pathToFileURL(join(dir, "x.js"))));
const bundledPackages = {
  name: "bundled-packages",
  setup(build) {
    const filter = new RegExp(`^(${BUNDLED_PACKAGES.map((p) => p.replace(/[-/]/g, "\\$&")).join("|")})$`);
    build.onResolve({ filter }, (args) => ({ path: resolveFrom(args.path, args.resolveDir) }));
    const kubeConfigFile = `/node_modules/${KUBE_CLIENT}/dist/config.js`;
    build.onResolve({ filter: /^(\.\/(oidc|azure|gcp)_auth\.js|socks-proxy-agent|hpagent)$/ }, (args) =>
      args.importer.endsWith(kubeConfigFile) ? { path: args.path, namespace: "kube-lazy", pluginData: args.resolveDir } : undefined,
    );
    build.onResolve({ filter: /^node-fetch$/ }, (args) =>
      args.importer.includes(`/node_modules/${KUBE_CLIENT}/`)
        ? { path: args.path, namespace: "kube-lazy", pluginData: args.resolveDir }
        : undefined,
    );
    build.onResolve({ filter: /^node:child_process$/ }, (args) =>
      LAZY_CHILD_PROCESS_IMPORTERS.some((p) => args.importer.includes(p))
        ? { path: args.path, namespace: "kube-lazy", pluginData: args.resolveDir }
        : undefined,
    );
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      ZOD_LOCALES.test(args.importer) ? { path: join(args.resolveDir, args.path), namespace: "zod-english" } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: "zod-english" }, (args) => ({
      contents: ZOD_ENGLISH_ONLY(dirname(args.path)),
      resolveDir: dirname(args.path),
      loader: "js",
    }));
    build.onLoad({ filter: /.*/, namespace: "kube-lazy" }, (args) => ({
      contents: kubeLazyModule(args.path, args.pluginData),
      resolveDir: args.pluginData,
      loader: "js",
    }));
    // The stand-ins' own imports: Node's modules, and the auth providers' real modules (bundled, a chunk of their own).
    build.onResolve({ filter: /.*/, namespace: "kube-lazy" }, (args) =>
      isBuiltin(args.path) ? { path: args.path, external: true } : { path: resolveFrom(args.path, args.resolveDir) },
    );
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith("node:") || isBuiltin(args.path)) return undefined;
      const kube = args.path === KUBE_CLIENT || args.path.startsWith(`${KUBE_CLIENT}/`);
      // A package bundled in brings its own dependencies with it (they are only reachable through it).
      if (!kube && !args.importer.includes("/node_modules/")) return undefined;
      let path;
      try {
        path = resolveFrom(args.path, args.resolveDir);
      } catch {
        // An optional dependency not installed (required in a try): left to fail at run time as it would.
        return { path: args.path, external: true };
      }
      return path.includes(`/node_modules/${KUBE_CLIENT}/`) ? { path, sideEffects: false } : { path };
    });
    build.onResolve({ filter: /^\./ }, (args) =>
      args.importer.includes(`/node_modules/${KUBE_CLIENT}/`) ? { path: join(args.resolveDir, args.path), sideEffects: false } : undefined,
    );
  },
};

/** The package.json of each package a bundled file came from (`node_modules/<name>/…`, the innermost). */
function packageJsonsOf(inputs) {
  const out = new Set();
  for (const p of inputs) {
    const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(p);
    if (m) out.add(`${m[1]}/package.json`);
  }
  return [...out].sort();
}

/** Entries that worker threads run, found beside main.js (the replay reader's). */
const WORKER_ENTRIES = { "replay-worker": "server/replay/replay-worker.ts" };
const workerEntries = (base) => Object.fromEntries(Object.entries(WORKER_ENTRIES).filter(([, path]) => existsSync(join(base, path))));

/** The engine commands, also built as one CommonJS script (see buildBundle). */
const ENGINE_COMMANDS = "server/cli/commands/engine.ts";

/** Build the bundle and record what it was built from; returns its path. */
export async function buildBundle(base = root) {
  const { build } = await import("esbuild");
  const cacheDir = cacheDirOf(base);
  const shared = {
    absWorkingDir: base,
    bundle: true,
    platform: "node",
    target: "node20",
    packages: "external",
    plugins: [bundledPackages],
    // The CLI runs services on the server side: `import "server-only"` takes the package's empty module
    // (what React's server condition selects), bundled in rather than resolved as a throwing import.
    alias: { "server-only": "./node_modules/server-only/empty.js" },
    tsconfig: "tsconfig.json",
    write: false,
    metafile: true,
    // Maps beside the chunks (node --enable-source-maps reads them): inline, they doubled what every start reads and parses.
    sourcemap: "linked",
    // No comments, so no character past ASCII (a few packages' comments have some): V8 then keeps each
    // chunk's source as one byte a character, where one such character made all of it two bytes a character.
    minifyWhitespace: true,
    logLevel: "silent",
  };
  // The engine commands once more as one CommonJS script, which server/cli/code-cache.ts compiles with
  // V8's code cache (Node 20 has none for ES modules).
  const engineScript = !existsSync(join(base, ENGINE_COMMANDS))
    ? { outputFiles: [] }
    : build({
        ...shared,
        entryPoints: { engine: ENGINE_COMMANDS },
        format: "cjs",
        outdir: join(cacheDir, "out"),
        outExtension: { ".js": ".cjs" },
        define: { "import.meta.url": "__ppImportMetaUrl" },
        // Node maps no stack of a `vm` script (--enable-source-maps neither): a map of it would go unread.
        sourcemap: false,
        banner: { js: 'const __ppImportMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
      });
  const modulesBuild = build({
    ...shared,
    entryPoints: { main: "server/cli/main.ts", ...workerEntries(base) },
    format: "esm",
    // Bundled CommonJS packages may require Node's modules: give the ES module bundle a require.
    banner: { js: 'import { createRequire as __ppCreateRequire } from "node:module"; const require = __ppCreateRequire(import.meta.url);' },
    // Commands are imported when they run: with splitting they are chunks that `--help` never loads.
    splitting: true,
    outdir: join(cacheDir, "out"),
    outExtension: { ".js": ".js" },
  });
  const [modules, script] = await Promise.all([modulesBuild, engineScript]);
  const result = { outputFiles: [...modules.outputFiles, ...script.outputFiles], metafile: modules.metafile };
  const inputs = [
    ...Object.keys(result.metafile.inputs)
      // (not node_modules, nor the stand-ins made by this file's plugin: KubeConfig's, zod's English)
      .filter((p) => !p.startsWith("node_modules/") && !p.startsWith("kube-lazy:") && !p.startsWith("zod-english:"))
      .sort(),
    ...packageJsonsOf(Object.keys(result.metafile.inputs)).filter((p) => existsSync(join(base, p))),
    ...CONFIG_INPUTS,
    // The versions installed, esbuild's among them (a new esbuild may bundle the same sources otherwise).
    ...["package-lock.json"].filter((p) => existsSync(join(base, p))),
  ];
  const { key, stats } = keyOf(base, inputs);
  const bundle = `bundle-${key.slice(0, 16)}`;
  // Write-then-rename: a CLI starting meanwhile sees the old bundle or the new one, never half of one.
  // (per thread too: the unit tests build in worker threads of one process)
  const { threadId } = createRequire(import.meta.url)("node:worker_threads");
  const tmp = join(cacheDir, `tmp-${process.pid}-${threadId}`);
  rmSync(tmp, { recursive: true, force: true });
  const files = ["package.json", ...result.outputFiles.map((f) => f.path.slice(join(cacheDir, "out").length + 1))];
  for (const f of result.outputFiles) {
    const out = join(tmp, f.path.slice(join(cacheDir, "out").length + 1));
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, f.contents);
  }
  writeFileSync(join(tmp, "package.json"), '{"type":"module"}\n');
  // The folder is named by the content key, so a whole one already there holds these very files: a
  // CLI started from it (by a concurrent build's caller) may still be importing its chunks lazily,
  // so it is kept. One with a file missing (a delete cut short) is replaced.
  const target = join(cacheDir, bundle);
  const whole = () => files.every((f) => existsSync(join(target, f)));
  if (!whole()) {
    if (existsSync(target)) rmSync(target, { recursive: true, force: true });
    try {
      renameSync(tmp, target);
    } catch (e) {
      // Another build renamed the same key's folder into place first: theirs is ours.
      if (!whole()) throw e;
    }
  }
  rmSync(tmp, { recursive: true, force: true });
  writeFileSync(`${tmp}.json`, JSON.stringify({ key, bundle, inputs, stats }));
  renameSync(`${tmp}.json`, join(cacheDir, "stamp.json"));
  // Earlier bundles go, but the last few stay: a long-running CLI (an agent, `serve`) started from one
  // imports chunks from it lazily.
  const earlier = readdirSync(cacheDir)
    .filter((d) => /^bundle-/.test(d) && d !== bundle)
    .map((d) => ({ d, at: statSync(join(cacheDir, d)).mtimeMs }))
    .sort((a, b) => b.at - a.at);
  for (const { d } of earlier.slice(KEPT_EARLIER_BUNDLES)) rmSync(join(cacheDir, d), { recursive: true, force: true });
  return join(cacheDir, bundle, "main.js");
}

// `node bin/cli-bundle.mjs` (npm's prepare step): build now, and never fail the install over it.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    console.log(`policyplane CLI bundle: ${await buildBundle()}`);
  } catch (e) {
    console.warn(
      `policyplane CLI bundle not built (${e instanceof Error ? e.message : e}); the CLI will build it on first run or run from source`,
    );
  }
}
