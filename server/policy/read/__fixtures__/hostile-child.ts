// Run by bounded.test.ts in a child process with a small --stack-size: feeds
// the inputs that overflow a recursive parser to every parser entry point and
// prints what each answered. If a bound were missing, this process would die
// (or print an unlocated "Maximum call stack size exceeded").
import { readManifestSources } from "../manifests";
import { readDocumentSources } from "../../documents/read";
import { parseFlowLine } from "../../flows";
import { readPolicyYaml } from "../../../../lib/policy-yaml";
import { HOSTILE_DEEP } from "./hostile";

const out: { input: string; entry: string; errors: { line: number; column: number; message: string }[] }[] = [];
for (const [name, text] of Object.entries(HOSTILE_DEEP)) {
  const m = readManifestSources([{ file: "m.yaml", text }]);
  out.push({ input: name, entry: "readManifestSources", errors: m.errors.map((e) => ({ line: e.line, column: e.column, message: e.message })) });
  const d = readDocumentSources([{ file: "d.yaml", text }]);
  out.push({ input: name, entry: "readDocumentSources", errors: d.errors.map((e) => ({ line: e.line, column: e.column, message: e.message })) });
  const p = readPolicyYaml(text);
  out.push({ input: name, entry: "readPolicyYaml", errors: p.errors.map((e) => ({ line: e.line, column: e.column, message: e.message })) });
}
for (const [name, text] of Object.entries({ deepJson: "[".repeat(30_000) + "]".repeat(30_000), deepObject: '{"a":'.repeat(10_000) + "1" + "}".repeat(10_000) })) {
  const f = parseFlowLine(text);
  out.push({ input: name, entry: "parseFlowLine", errors: f.ok ? [] : [{ line: 1, column: Number(/^column (\d+)/.exec(f.error)?.[1] ?? 0), message: f.error }] });
}
process.stdout.write(JSON.stringify(out));
