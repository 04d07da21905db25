import type { Metadata } from "next";
import Link from "next/link";
import { ApiReference } from "@/components/settings/api-reference";
import { PageHeader } from "@/components/ui/primitives";
import { routeReferences } from "@/server/api/openapi";

export const metadata: Metadata = { title: "API reference" };

export default function ApiReferencePage() {
  return (
    <>
      <PageHeader
        title="API reference"
        description={
          <>
            The REST API under /api/v1 for cluster agents, admission webhooks and CI. Machines send a token an admin creates in{" "}
            <Link href="/settings" className="text-brand-700 hover:underline">
              Settings
            </Link>{" "}
            as <code className="font-mono text-xs">Authorization: Bearer ppt_…</code>; each route names the scope it needs. Errors carry a
            stable <code className="font-mono text-xs">error</code> name and, for bad input, the{" "}
            <code className="font-mono text-xs">field</code>.
          </>
        }
        actions={
          <a href="/api/v1/openapi.json" className="text-sm text-brand-700 hover:underline">
            OpenAPI 3.1 document
          </a>
        }
      />
      <ApiReference routes={routeReferences()} />
    </>
  );
}
