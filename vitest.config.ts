import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// Two projects: "unit" (pure code, no I/O) and "integration" (real databases).
// Integration files end in .int.test.ts; the runner script runs them once per database.
export default defineConfig({
  resolve: {
    tsconfigPaths: true,
    // Database and service modules start with `import "server-only"`, which throws unless resolved
    // under React's server condition (Next.js does that for server code and fails the build when a
    // client component reaches one). Tests run them on the server side: the package's own empty module.
    alias: { "server-only": fileURLToPath(new URL("./node_modules/server-only/empty.js", import.meta.url)) },
  },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: [
            "lib/**/*.test.ts",
            "server/**/*.test.ts",
            "db/**/*.test.ts",
            "components/**/*.test.ts",
            "scripts/**/*.test.ts",
            "deploy/**/*.test.ts",
            "bench/**/*.test.ts",
          ],
          exclude: ["**/*.int.test.ts", "node_modules/**"],
          environment: "node",
          // Worker threads rather than child processes: the same isolation per file, started cheaper (times: docs/benchmarks.md, "npm test").
          pool: "threads",
        },
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["**/*.int.test.ts"],
          exclude: ["node_modules/**"],
          globalSetup: ["server/testing/global-setup.ts"],
          setupFiles: ["server/testing/suite-setup.ts"],
          environment: "node",
          testTimeout: 60_000,
          hookTimeout: 120_000,
          fileParallelism: false,
          // One process for all files: each file's own process spent ~4 s loading the same modules
          // (a quarter of the run). server/testing/suite-setup.ts puts the process's state back between files.
          isolate: false,
        },
      },
    ],
  },
});
