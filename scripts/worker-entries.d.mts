export interface WorkerEntry {
  /** The entry's path from the project root. */
  readonly entry: string;
  /** The bundle's file name prefix. */
  readonly prefix: string;
  /** The environment variable naming a prebuilt bundle. */
  readonly env: string;
}
export declare const WORKER_ENTRIES: { readonly engine: WorkerEntry; readonly replay: WorkerEntry; readonly audit: WorkerEntry };
