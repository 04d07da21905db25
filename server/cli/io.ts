/** Small output helpers: buffered writes so large jsonl outputs do not stall on every line. */
export class Out {
  private buf: string[] = [];
  private size = 0;
  constructor(private readonly stream: NodeJS.WriteStream = process.stdout) {}
  line(s: string): void {
    this.buf.push(s, "\n");
    this.size += s.length + 1;
    if (this.size > 1 << 16) this.flush();
  }
  flush(): void {
    if (this.buf.length === 0) return;
    this.stream.write(this.buf.join(""));
    this.buf = [];
    this.size = 0;
  }
}

export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ")).join("\n");
}
