// Inputs that take down a parser that recurses without a bound (shared by the
// fuzz test and its child process).
export const HOSTILE_DEEP: Record<string, string> = {
  flowSequences: "[".repeat(100_000) + "]".repeat(100_000),
  flowMappings: "{a: ".repeat(50_000) + "b" + "}".repeat(50_000),
  blockMappings: Array.from({ length: 3_000 }, (_, i) => `${" ".repeat(i)}a:`).join("\n") + " x\n",
  compactSequences: "- ".repeat(50_000) + "x\n",
  deepAfterSyntaxError: "kind: a: b\n---\n" + "[".repeat(100_000) + "]".repeat(100_000),
};

/** Nine levels of ten aliases: 10^9 nodes once expanded. */
export function aliasBomb(): string {
  const lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"];
  for (let i = 1; i < 9; i++) lines.push(`a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(", ")}]`);
  return `${lines.join("\n")}\nkind: Pod\n`;
}
