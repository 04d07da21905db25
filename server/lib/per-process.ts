import "server-only";
// The server's per-process state (caches, memos, singletons) lives on globalThis, not in module
// variables: the route handlers, server components and instrumentation hook may be separate bundles,
// each with its own copy of a module, that must share one instance. The integration run puts every
// test file in one process and drops this state between files (resetPerProcessState), so accessors
// read globalThis on every call rather than keep what they found.

const PREFIX = "policyplane";
const slots = globalThis as unknown as Record<string | symbol, unknown>;
// Under a symbol: shared by every bundle, and never dropped by the reset's scan of names.
const KEPT = Symbol.for("policyplane.keptAcrossTestFiles");
const kept = () => (slots[KEPT] ??= new Set<string>()) as Set<string>;

export interface PerProcess<T, Args extends unknown[] = []> {
  /** The value, created by `init` from this call's arguments when the process has none yet. */
  (...args: Args): T;
  /** The value, if the process has one, without creating it. */
  peek(): T | undefined;
  /** Drops the value: the next call creates a fresh one. */
  reset(): void;
}

/**
 * The accessor of one piece of per-process state, kept at `globalThis["policyplane" + name]`.
 * `keptAcrossTestFiles`: it holds nothing of a test file's, so the integration run keeps it warm.
 */
export function perProcess<T, Args extends unknown[] = []>(
  name: string,
  init: (...args: Args) => T,
  options: { keptAcrossTestFiles?: boolean } = {},
): PerProcess<T, Args> {
  const key = PREFIX + name;
  if (options.keptAcrossTestFiles) kept().add(key);
  return Object.assign((...args: Args) => (slots[key] ??= init(...args)) as T, {
    peek: () => slots[key] as T | undefined,
    reset: () => {
      delete slots[key];
    },
  });
}

/** Drops all per-process state except what is kept across test files (the integration run, between files). */
export function resetPerProcessState(): void {
  for (const key of Object.keys(slots)) if (key.startsWith(PREFIX) && !kept().has(key)) delete slots[key];
}
