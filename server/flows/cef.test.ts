import { describe, expect, it } from "vitest";
import { cefHeader, cefLine, cefValue } from "./cef";

describe("CEF escaping", () => {
  it("escapes a backslash and a pipe in header fields, and nothing else", () => {
    expect(cefHeader("a|b\\c=d")).toBe("a\\|b\\\\c=d");
  });

  it("escapes a backslash and an equals sign in extension values, and writes line breaks as \\n and \\r", () => {
    expect(cefValue("x=1\\y|z")).toBe("x\\=1\\\\y|z");
    expect(cefValue("one\ntwo\r\nthree\rfour")).toBe("one\\ntwo\\nthree\\rfour");
  });

  it("builds one line whose fields a CEF parser splits back to the originals", () => {
    const line = cefLine(
      {
        signatureId: "violation",
        name: "Denied payments|api → db",
        severity: 8,
        extensions: { cs1: "dest=a\\b", cnt: 3, cs2: null, cs3: undefined },
      },
      "0.1.0",
    );
    expect(line).toBe("CEF:0|Policyplane|Policyplane|0.1.0|violation|Denied payments\\|api → db|8|cs1=dest\\=a\\\\b cnt=3");
    expect(line).not.toContain("\n");
    // A parser: split the header on unescaped pipes, then the extension's values unescaped.
    const fields = line.split(/(?<!\\)\|/);
    expect(fields).toHaveLength(8);
    expect(fields[5]!.replace(/\\([\\|])/g, "$1")).toBe("Denied payments|api → db");
    const cs1 = /cs1=(.*?) cnt=/.exec(fields[7]!)![1]!;
    expect(cs1.replace(/\\([\\=])/g, "$1")).toBe("dest=a\\b");
  });

  it("clamps the severity to 0-10", () => {
    expect(cefLine({ signatureId: "s", name: "n", severity: 42, extensions: {} }, "1").split("|")[6]).toBe("10");
  });
});
