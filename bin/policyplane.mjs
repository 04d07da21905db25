#!/usr/bin/env node
// Entry point of the `policyplane` CLI. Registers tsx in-process (so the
// TypeScript sources run without a build step) and loads server/cli/main.ts
// from the package root, whatever the current directory is.
import { fileURLToPath } from "node:url";
import { register } from "tsx/esm/api";

const root = new URL("..", import.meta.url);
register({ tsconfig: fileURLToPath(new URL("tsconfig.json", root)) });
const { main } = await import(new URL("server/cli/main.ts", root).href);
process.exitCode = await main(process.argv.slice(2));
