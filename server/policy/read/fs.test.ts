// Reading a manifest file's text: ASCII goes the quick way (Latin-1), anything else through UTF-8;
// both must give the very string that decoding the file as UTF-8 gives.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { readText } from "./fs";

const dir = mkdtempSync(join(tmpdir(), "pp-read-text-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sameAsUtf8(bytes: Uint8Array): void {
  const p = join(dir, "m.yaml");
  writeFileSync(p, bytes);
  expect(readText(p)).toBe(readFileSync(p, "utf8"));
}

describe("readText gives a manifest file's text exactly as UTF-8 decoding does", () => {
  it("for ASCII, accented letters, emoji, a byte-order mark, CRLF, NUL and bytes that are not UTF-8", () => {
    for (const text of ["", "kind: Pod\n", "kind: Pod\r\nname: é\r\n", "\ufeffkind: Pod\n", "note: 🚀 ✓\n", "a\u0000b\n", "tab:\tx\n"])
      sameAsUtf8(Buffer.from(text, "utf8"));
    sameAsUtf8(Uint8Array.from([0x6b, 0x3a, 0x20, 0xff, 0xfe, 0x0a])); // invalid UTF-8: replacement characters
    sameAsUtf8(Uint8Array.from([0x6b, 0x3a, 0x20, 0xe9, 0x0a])); // Latin-1 é is not UTF-8
    sameAsUtf8(Uint8Array.from([0xc3])); // a truncated sequence
  });

  it("for any bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => sameAsUtf8(bytes)),
      { numRuns: 300 },
    );
  });
});
