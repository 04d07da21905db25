export declare class FolderLockedError extends Error {
  readonly owner: number | undefined;
}
export declare function lockFolder(folder: string, words: { label: string; advice: string }): () => void;
