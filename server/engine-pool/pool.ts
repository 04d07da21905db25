import "server-only";
// CPU-heavy engine work for requests (reading, linting and compiling editor
// YAML, linting a release) runs in worker threads, so one large document does
// not stall every other request on the event loop. Workers hold no database:
// callers load what a task needs and pass it in (structured clone).
import { availableParallelism } from "node:os";
import { Piscina } from "piscina";
import { Busy, TooLarge } from "@/server/errors";
import { WORKER_ENTRIES, workerBundle } from "@/server/lib/worker-bundle";
import { perProcess } from "@/server/lib/per-process";
import type * as tasks from "./worker";

type Tasks = typeof tasks;
export type EngineTask = keyof Tasks;

/** A task running longer than this is stopped (its worker is replaced) and the request refused. */
export const ENGINE_TASK_TIMEOUT_MS = 30_000;
/** Tasks waiting for a worker beyond this many are refused at once (429) rather than queued without bound. */
export const ENGINE_QUEUE_LIMIT = 64;

/**
 * `npm start` bundles the worker before serving and names it in
 * POLICYPLANE_ENGINE_WORKER (the integration run does the same for its suites);
 * `next dev` bundles it here, once per process.
 */
function workerFile(): string {
  return workerBundle(WORKER_ENTRIES.engine);
}

// Kept across test files: it holds nothing of a file's, and a warm pool saves each file the engine's start.
const pool = perProcess(
  "EnginePool",
  () =>
    new Piscina({
      filename: workerFile(),
      // One core stays with the event loop (pages, API, database).
      maxThreads: Math.max(1, availableParallelism() - 1),
      minThreads: 1,
      maxQueue: ENGINE_QUEUE_LIMIT,
      // Linux: the scheduler prefers the event loop's thread over engine work.
      niceIncrement: 10,
      resourceLimits: { maxOldGenerationSizeMb: 1024 },
    }),
  { keptAcrossTestFiles: true },
);

/** The pool's tasks queued or running (kept with the pool, whose tasks may outlive a test file). */
const inFlight = perProcess("EngineTasks", () => new Set<Promise<unknown>>(), { keptAcrossTestFiles: true });

/**
 * Resolves when every engine task queued or running has finished; the pool stays up. For tests
 * before their database closes, so a file's leftover tasks do not hold up the next file's.
 */
export async function drainEngine(): Promise<void> {
  while (inFlight().size > 0) await Promise.allSettled(inFlight());
}

/** Runs one engine task in a worker thread. */
export async function runEngine<K extends EngineTask>(task: K, input: Parameters<Tasks[K]>[0]): Promise<ReturnType<Tasks[K]>> {
  const engine = pool();
  const tasks = inFlight();
  let run: Promise<ReturnType<Tasks[K]>> | undefined;
  try {
    run = engine.run(input, { name: task, signal: AbortSignal.timeout(ENGINE_TASK_TIMEOUT_MS) }) as Promise<ReturnType<Tasks[K]>>;
    tasks.add(run);
    return await run;
  } catch (error) {
    if (error instanceof Error && error.message === "Task queue is at limit") {
      throw new Busy("The policy engine is busy with other requests. Try again in a moment.");
    }
    if (error instanceof Error && error.name === "AbortError") {
      throw new TooLarge(
        `The policy engine stopped this request after ${ENGINE_TASK_TIMEOUT_MS / 1000} s: the input is too large or too complex to analyse.`,
      );
    }
    if ((error as NodeJS.ErrnoException).code === "ERR_WORKER_OUT_OF_MEMORY") {
      throw new TooLarge("The policy engine ran out of memory on this input: it is too large or too complex to analyse.");
    }
    throw error;
  } finally {
    if (run) tasks.delete(run);
  }
}
