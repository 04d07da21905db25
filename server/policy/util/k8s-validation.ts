/**
 * The API server's syntax rules for names, labels and ports, as
 * k8s.io/apimachinery/pkg/util/validation states them (each function names
 * its counterpart). They return null for a valid value, else why not.
 * Pure: the manifest reader, the document schema and the editor (in the
 * browser) share them.
 */
import { z } from "zod";

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const IANA_SVC_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/** IsDNS1123Label: namespace names, and the name part of many objects. */
export function dns1123Label(s: string): string | null {
  if (s.length > 63) return `must be no more than 63 characters (got ${s.length})`;
  if (!DNS1123_LABEL.test(s))
    return "must be a lowercase RFC 1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit (e.g. 'my-name')";
  return null;
}

/** IsDNS1123Subdomain: metadata.name of most kinds (NameIsDNSSubdomain), label key prefixes. */
export function dns1123Subdomain(s: string): string | null {
  if (s.length > 253) return `must be no more than 253 characters (got ${s.length})`;
  if (!DNS1123_SUBDOMAIN.test(s))
    return "must be a lowercase RFC 1123 subdomain: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit (e.g. 'example.com')";
  return null;
}

/** IsDNS1035Label: Service names (ValidateServiceName). */
export function dns1035Label(s: string): string | null {
  if (s.length > 63) return `must be no more than 63 characters (got ${s.length})`;
  if (!DNS1035_LABEL.test(s))
    return "must be an RFC 1035 label: lowercase letters, digits and '-', starting with a letter and ending with a letter or digit (e.g. 'my-name')";
  return null;
}

/** IsQualifiedName: label and annotation keys, `[prefix/]name`. */
export function qualifiedName(s: string): string | null {
  const parts = s.split("/");
  if (parts.length > 2)
    return "must be a qualified name: an optional DNS subdomain prefix and '/', then a name (e.g. 'app' or 'app.kubernetes.io/name')";
  const name = parts[parts.length - 1]!;
  if (parts.length === 2) {
    const prefix = parts[0]!;
    if (prefix.length === 0) return "prefix part must be non-empty";
    const p = dns1123Subdomain(prefix);
    if (p) return `prefix part ${p}`;
  }
  if (name.length === 0) return "name part must be non-empty";
  if (name.length > 63) return `name part must be no more than 63 characters (got ${name.length})`;
  if (!QUALIFIED_NAME.test(name))
    return "name part must consist of letters, digits, '-', '_' or '.', and must start and end with a letter or digit (e.g. 'MyName', 'my.name', '123-abc')";
  return null;
}

/** IsValidLabelValue: empty, or at most 63 letters, digits, '-', '_', '.' starting and ending with a letter or digit. */
export function labelValue(s: string): string | null {
  if (s.length > 63) return `must be no more than 63 characters (got ${s.length})`;
  if (!LABEL_VALUE.test(s))
    return "a label value must be empty or consist of letters, digits, '-', '_' or '.', and must start and end with a letter or digit (e.g. 'MyValue', 'my_value', '12345')";
  return null;
}

/** IsValidPortNum: 1-65535. */
export function portNum(n: number): string | null {
  return Number.isInteger(n) && n >= 1 && n <= 65535 ? null : "must be between 1 and 65535, inclusive";
}

/** IsValidPortName (IANA_SVC_NAME): at most 15 lowercase letters, digits and '-', at least one letter, no '--', not starting or ending with '-'. */
export function portName(s: string): string | null {
  if (s.length < 1 || s.length > 15) return "must be no more than 15 characters (IANA_SVC_NAME)";
  if (!IANA_SVC_NAME.test(s)) return "must contain only lowercase letters, digits and '-', and not start or end with '-' (IANA_SVC_NAME)";
  if (!/[a-z]/.test(s)) return "must contain at least one letter (IANA_SVC_NAME)";
  if (s.includes("--")) return "must not contain consecutive hyphens (IANA_SVC_NAME)";
  return null;
}

/** A zod string checked with one of the rules above; the message quotes the value and says why. */
export function k8sString(rule: (s: string) => string | null) {
  return z.string().superRefine((s, ctx) => {
    const why = rule(s);
    if (why) ctx.addIssue({ code: "custom", message: `${JSON.stringify(s)}: ${why}` });
  });
}
