// The case of issue 10 (server/policy/compile/__fixtures__/issue-10): its inventory, and its documents as
// the release stores them — the namespace policy "shop accepts 8080 from ingress-nginx" and the baseline
// "tenant namespaces deny anything not explicitly allowed".
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { StoredDocument } from "@/server/drafts/documents";
import { readDocumentSources } from "@/server/policy/documents/read";
import { readManifestSources } from "@/server/policy/read/manifests";

const dir = fileURLToPath(new URL("../policy/compile/__fixtures__/issue-10/", import.meta.url));
const read = (f: string) => ({ file: f, text: readFileSync(dir + f, "utf8") });

export const issue10Model = readManifestSources([read("inventory.yaml")]).cluster;

export const issue10Documents: StoredDocument[] = readDocumentSources([read("documents.yaml")]).documents.map((d, i) => ({
  policyId: `p${i}`,
  name: d.document.metadata.name,
  kind: "Policy",
  tier: d.document.kind === "Policy" ? d.document.spec.tier : "global",
  tenantId: null,
  version: 1,
  document: d.document as StoredDocument["document"],
}));
