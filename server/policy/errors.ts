/** Errors are values: readers and the evaluator return them, they never throw on bad input. */

export type Severity = "error" | "warning";

/** A problem in an input document, located by file, line, column and field path. */
export class PolicyInputError extends Error {
  override readonly name = "PolicyInputError";
  readonly file: string;
  /** 1-based; 0 when unknown. */
  readonly line: number;
  /** 1-based; 0 when unknown. */
  readonly column: number;
  /** Field path such as `spec.ingress[0].from[1].ipBlock.cidr` (empty for the whole document). */
  readonly path: string;
  readonly severity: Severity;
  /** The human message without location, e.g. "expected a CIDR such as 10.0.0.0/8, got 10.0.0.0/33". */
  readonly detail: string;

  constructor(init: { file: string; line?: number; column?: number; path?: string; message: string; severity?: Severity }) {
    const line = init.line ?? 0;
    const column = init.column ?? 0;
    const path = init.path ?? "";
    super(formatLocation(init.file, line, column, path, init.message));
    this.file = init.file;
    this.line = line;
    this.column = column;
    this.path = path;
    this.severity = init.severity ?? "error";
    this.detail = init.message;
  }

  toJSON(): { file: string; line: number; column: number; path: string; message: string; severity: Severity } {
    return { file: this.file, line: this.line, column: this.column, path: this.path, message: this.detail, severity: this.severity };
  }
}

function formatLocation(file: string, line: number, column: number, path: string, message: string): string {
  const loc = line > 0 ? `${file}:${line}:${column}` : file;
  return path ? `${loc}: ${path}: ${message}` : `${loc}: ${message}`;
}

/** A flow that cannot be evaluated (unknown pod, bad address, bad port). */
export class FlowError extends Error {
  override readonly name = "FlowError";
  readonly field: string;
  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.field = field;
  }
}

export type Result<T, E = Error> = { ok: true; value: T } | { ok: false; error: E };
