/**
 * zod issues → messages a person can act on ("expected a list, got a mapping"), one per field
 * path. Shared by the manifest reader, the document reader, templates and the compiler's checks.
 */
import type { z } from "zod";
import { formatPath, type PathSeg } from "./yaml";

type Issue = z.core.$ZodIssue;

/** A value as error messages quote it: `"text"`, `42`, `a list`, `a mapping`, `null`. */
export function describeInput(v: unknown): string {
  if (v === undefined) return "nothing (the field is required)";
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  if (typeof v === "string") return JSON.stringify(v);
  return String(v);
}

const segs = (path: readonly PropertyKey[]): PathSeg[] => path.filter((p): p is string | number => typeof p !== "symbol");
const inputOf = (iss: Issue): unknown => (iss as { input?: unknown }).input;

/** How badly an issue list says "this union branch is the wrong shape" (wrong keys rather than wrong values). */
function shapeMismatch(issues: readonly Issue[]): number {
  return issues.filter((i) => i.code === "unrecognized_keys" || (i.code === "invalid_type" && inputOf(i) === undefined)).length;
}

function sizeMessage(iss: Extract<Issue, { code: "too_small" | "too_big" }>): string {
  const small = iss.code === "too_small";
  // A schema's own message (e.g. `.min(1, "a rule needs at least one peer")`) is kept.
  if (!iss.message.startsWith(small ? "Too small" : "Too big")) return iss.message;
  const bound = String(small ? iss.minimum : iss.maximum);
  if (small && iss.origin === "string" && bound === "1") return "expected a non-empty string";
  const unit = iss.origin === "array" ? " item(s)" : iss.origin === "string" ? " character(s)" : "";
  return `expected ${small ? "at least" : "at most"} ${bound}${unit}`;
}

/** Flatten zod issues into (path, message) pairs; a union reports the branch whose shape fits the input. */
export function explainIssues(issues: readonly Issue[], base: readonly PathSeg[] = []): { path: PathSeg[]; message: string }[] {
  const out: { path: PathSeg[]; message: string }[] = [];
  for (const iss of issues) {
    const path = [...base, ...segs(iss.path)];
    switch (iss.code) {
      case "unrecognized_keys":
        for (const key of iss.keys) out.push({ path: [...path, key], message: `unknown field "${key}"` });
        break;
      case "invalid_union": {
        const branches = iss.errors.filter((b) => b.length > 0);
        const best = [...branches].sort((a, b) => shapeMismatch(a) - shapeMismatch(b) || a.length - b.length)[0];
        if (best && shapeMismatch(best) === 0) out.push(...explainIssues(best, path));
        else
          out.push({
            path,
            message: `expected one of the forms of this field, got ${describeInput(inputOf(iss))}; ${(best ? explainIssues(best, []) : []).map((x) => `${formatPath(x.path) || "value"}: ${x.message}`).join("; ")}`,
          });
        break;
      }
      case "invalid_type":
        out.push({
          path,
          message: `expected ${iss.expected === "object" ? "a mapping" : iss.expected === "array" ? "a list" : `a ${iss.expected}`}, got ${describeInput(inputOf(iss))}`,
        });
        break;
      case "invalid_value": {
        const values = iss.values.map((v) => JSON.stringify(v));
        out.push({
          path,
          message: `expected ${values.length === 1 ? values[0] : `one of ${values.join(", ")}`}, got ${describeInput(inputOf(iss))}`,
        });
        break;
      }
      case "invalid_key":
        // A record key that fails its schema (a label key): say why, at the key.
        out.push(...explainIssues(iss.issues, path));
        break;
      case "too_small":
      case "too_big":
        out.push({ path, message: sizeMessage(iss) });
        break;
      default:
        out.push({ path, message: iss.message });
    }
  }
  return out;
}

/** One line per issue, `field.path: message` (`(root)` for the value itself). */
export function formatIssues(issues: readonly Issue[], base: readonly PathSeg[] = []): string[] {
  return explainIssues(issues, base).map((e) => `${formatPath(e.path) || "(root)"}: ${e.message}`);
}
