export const ENGINE_WORKER_DIR: string;
/** Bundles a worker entry (default: the engine pool's) into one file; returns its absolute path. */
export function buildEngineWorker(outDir?: string, entry?: string, prefix?: string): Promise<string>;
