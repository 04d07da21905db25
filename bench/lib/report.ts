// What every benchmark prints about the machine and how it writes its section of docs/benchmarks.md.
import { execSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";

export type Row = [what: string, value: string, target: string, ok: boolean];

export function machineDescription(): string {
  const cpu =
    (existsSync("/proc/cpuinfo") ? /model name\s*:\s*(.*)/.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] : undefined) ??
    cpus()[0]?.model ??
    "unknown";
  let nproc = String(cpus().length);
  try {
    nproc = execSync("nproc", { encoding: "utf8" }).trim();
  } catch {
    /* keep os.cpus() */
  }
  return `${nproc} cores (nproc), ${cpu.trim()}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}, load average ${loadavg()[0]!.toFixed(2)} at the end of the run`;
}

/**
 * Replaces (or appends) the `## heading` section of a markdown file: intro, machine, the figures table,
 * notes. Its `### ` sub-sections, written by hand (other runs, profiles, what was tried), are kept after them.
 */
export function writeSection(
  file: string,
  heading: string,
  intro: string,
  machine: string,
  rows: readonly Row[],
  notes: readonly string[],
): void {
  const section = [
    `## ${heading}`,
    "",
    intro,
    "",
    `Machine: ${machine}.`,
    "",
    "| figure | result | target | |",
    "|---|---|---|---|",
    ...rows.map(([what, value, target, ok]) => `| ${what} | ${value} | ${target} | ${ok ? "met" : "**missed**"} |`),
    "",
    ...notes.flatMap((n) => [n, ""]),
  ].join("\n");
  const current = existsSync(file) ? readFileSync(file, "utf8") : "# Benchmarks\n";
  // The section's own heading (at a line's start, `### …` with the same words is not it), up to the next `## `.
  const escaped = heading.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const re = new RegExp(`^## ${escaped}\\n[\\s\\S]*?(?=\\n## |(?![\\s\\S]))`, "m");
  const previous = re.exec(current)?.[0];
  if (previous === undefined) return writeFileSync(file, `${current.trimEnd()}\n\n${section}`);
  const handWritten = /\n(### [\s\S]*)$/.exec(previous)?.[1];
  // A function, not a string: `$` in the text must not read as a replacement pattern.
  writeFileSync(
    file,
    current.replace(re, () => `${section.trimEnd()}\n${handWritten ? `\n${handWritten.trimEnd()}\n` : ""}`),
  );
}
