// ArcSight Common Event Format (CEF) lines for SIEM export (issue 17 item 8). Pure.
// The CEF specification's escaping: in the header, a backslash and a pipe are
// escaped with a backslash; in extension values, a backslash and an equals sign
// are, and line breaks are written as \n and \r (a CEF event is one line).
// Extension keys are fixed names of this module, never user text.

/** Escapes a header field (version, vendor, product, signature id, name). */
export function cefHeader(value: string): string {
  return value.replace(/[\\|]/g, (c) => `\\${c}`).replace(/\r\n|\r|\n/g, " ");
}

/** Escapes an extension value. */
export function cefValue(value: string): string {
  return value
    .replace(/[\\=]/g, (c) => `\\${c}`)
    .replace(/\r\n|\n/g, "\\n")
    .replace(/\r/g, "\\r");
}

export interface CefEvent {
  signatureId: string;
  name: string;
  /** 0 (lowest) to 10. */
  severity: number;
  /** Extension key → value; undefined and null values are left out. */
  extensions: Record<string, string | number | null | undefined>;
}

export const CEF_VENDOR = "Policyplane";
export const CEF_PRODUCT = "Policyplane";

/** One CEF line: `CEF:0|vendor|product|version|signature|name|severity|k=v k=v`. */
export function cefLine(event: CefEvent, productVersion: string): string {
  const header = ["CEF:0", cefHeader(CEF_VENDOR), cefHeader(CEF_PRODUCT), cefHeader(productVersion), cefHeader(event.signatureId)]
    .concat([cefHeader(event.name), String(Math.max(0, Math.min(10, Math.round(event.severity))))])
    .join("|");
  const ext = Object.entries(event.extensions)
    .filter((e): e is [string, string | number] => e[1] !== undefined && e[1] !== null)
    .map(([k, v]) => `${k}=${cefValue(String(v))}`)
    .join(" ");
  return `${header}|${ext}`;
}
