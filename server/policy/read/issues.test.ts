import { describe, expect, it } from "vitest";
import { z } from "zod";
import { readDocumentSources } from "../documents/read";
import { formatIssues } from "./issues";
import { readManifestSources } from "./manifests";

const manifest = (spec: string) =>
  `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: app}\nspec:\n${spec}`;
const document = (spec: string) =>
  `apiVersion: policyplane.io/v1\nkind: Policy\nmetadata: {name: p, tenant: app}\nspec:\n  tier: namespace\n${spec}`;
const manifestErrors = (spec: string) =>
  readManifestSources([{ file: "m.yaml", text: manifest(spec) }]).errors.map((e) => `${e.path}: ${e.detail}`);
const documentErrors = (spec: string) =>
  readDocumentSources([{ file: "d.yaml", text: document(spec) }]).errors.map((e) => `${e.path}: ${e.detail}`);

describe("one wording for validation problems, in manifests and in Policyplane documents", () => {
  it("says what a field should be and what it got", () => {
    expect(manifestErrors("  podSelector: []\n")).toEqual(["spec.podSelector: expected a mapping, got a list"]);
    expect(documentErrors("  subject: []\n  rules: []\n")).toEqual(["spec.subject: expected a mapping, got a list"]);
  });

  it("names an unknown field", () => {
    expect(manifestErrors("  podSelector: {}\n  ingres: []\n")).toEqual(['spec.ingres: unknown field "ingres"']);
    expect(documentErrors("  subject: {}\n  rules: []\n  rulez: []\n")).toEqual(['spec.rulez: unknown field "rulez"']);
  });

  it("lists the allowed values of an enumeration", () => {
    expect(manifestErrors("  podSelector: {}\n  ingress: [{ports: [{port: 80, protocol: TCPX}]}]\n")).toEqual([
      'spec.ingress[0].ports[0].protocol: expected one of "TCP", "UDP", "SCTP", got "TCPX"',
    ]);
    expect(
      documentErrors("  subject: {}\n  rules: [{direction: ingress, peers: [{entity: world}], ports: [{port: 80, protocol: TCPX}]}]\n"),
    ).toEqual(['spec.rules[0].ports[0].protocol: expected one of "TCP", "UDP", "SCTP", got "TCPX"']);
  });

  it("refuses an except outside its CIDR", () => {
    expect(
      manifestErrors("  podSelector: {}\n  egress: [{to: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.0.0.0/8, 192.168.0.0/16]}}]}]\n"),
    ).toEqual([
      "spec.egress[0].to[0].ipBlock.except[0]: expected a CIDR strictly inside 10.0.0.0/8, got 10.0.0.0/8",
      "spec.egress[0].to[0].ipBlock.except[1]: expected a CIDR strictly inside 10.0.0.0/8, got 192.168.0.0/16",
    ]);
    expect(
      documentErrors("  subject: {}\n  rules: [{direction: egress, peers: [{cidr: 10.0.0.0/8, except: [10.0.0.0/8, 192.168.0.0/16]}]}]\n"),
    ).toEqual([
      "spec.rules[0].peers[0].except[0]: expected a CIDR strictly inside 10.0.0.0/8, got 10.0.0.0/8",
      "spec.rules[0].peers[0].except[1]: expected a CIDR strictly inside 10.0.0.0/8, got 192.168.0.0/16",
    ]);
  });

  it("checks Kubernetes fields of documents with the API server's rules, so what compiles is accepted (port names IANA_SVC_NAME, label keys qualified names)", () => {
    const text = document(
      "  subject: {podSelector: {matchLabels: {'bad key': x}}}\n  rules: [{direction: ingress, peers: [{entity: world}], ports: [{port: '8080'}, {port: a--b}]}]\n",
    );
    const errors = readDocumentSources([{ file: "d.yaml", text }]).errors.map((e) => `${e.line}:${e.column} ${e.path}: ${e.detail}`);
    expect(errors).toEqual([
      "6:41 spec.subject.podSelector.matchLabels.bad key: \"bad key\": name part must consist of letters, digits, '-', '_' or '.', and must start and end with a letter or digit (e.g. 'MyName', 'my.name', '123-abc')",
      '7:67 spec.rules[0].ports[0].port: "8080": must contain at least one letter (IANA_SVC_NAME)',
      '7:83 spec.rules[0].ports[1].port: "a--b": must not contain consecutive hyphens (IANA_SVC_NAME)',
    ]);
  });

  it("formats issues as one line each, with the field path", () => {
    const r = z
      .strictObject({ a: z.array(z.string()).min(1), b: z.number().max(3) })
      .safeParse({ a: [], b: 4, c: 1 }, { reportInput: true });
    expect(r.success ? [] : formatIssues(r.error.issues, ["spec"])).toEqual([
      "spec.a: expected at least 1 item(s)",
      "spec.b: expected at most 3",
      'spec.c: unknown field "c"',
    ]);
  });
});
