// Text the database cannot store as given: PostgreSQL refuses NUL in text and
// jsonb, and a lone UTF-16 surrogate is not a character at all (it is refused
// in jsonb and silently replaced in text). Refused at the edge, naming the field.

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** What is wrong with `text`, or null when it can be stored. */
export function unsafeTextProblem(text: string): string | null {
  const nul = text.indexOf("\u0000");
  if (nul >= 0) return `contains a NUL character (at index ${nul})`;
  const lone = LONE_SURROGATE.exec(text);
  if (lone) return `contains a lone UTF-16 surrogate (at index ${lone.index}), which is not a character`;
  return null;
}

export interface UnsafeText {
  /** Dotted field path, such as `values.tenant` or `policies[2]`; `(key)` marks a map key. */
  field: string;
  message: string;
}

/** The first string (value or key) anywhere in `value` that cannot be stored. Walks without recursion. */
export function findUnsafeText(value: unknown, root = ""): UnsafeText | null {
  const stack: [unknown, string][] = [[value, root]];
  while (stack.length > 0) {
    const [v, path] = stack.pop()!;
    if (typeof v === "string") {
      const problem = unsafeTextProblem(v);
      if (problem) return { field: path, message: `${path || "the input"} ${problem}` };
    } else if (Array.isArray(v) || v instanceof Set) {
      [...v].forEach((item, i) => stack.push([item, `${path}[${i}]`]));
    } else if (v instanceof Map) {
      for (const [k, item] of v) stack.push([k, `${path}(key)`], [item, `${path}.${String(k)}`]);
    } else if (v !== null && typeof v === "object" && !(v instanceof Date)) {
      for (const [k, item] of Object.entries(v)) {
        const at = path ? `${path}.${k}` : k;
        const keyProblem = unsafeTextProblem(k);
        if (keyProblem) return { field: at, message: `the name of ${at} ${keyProblem}` };
        stack.push([item, at]);
      }
    }
  }
  return null;
}
