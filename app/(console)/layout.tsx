import { redirect } from "next/navigation";
import type { ReactNode } from "react";
import { ShellHeader } from "@/components/shell/header";
import { Sidebar } from "@/components/shell/sidebar";
import { TrpcReactProvider } from "@/components/trpc/client";
import { Notice } from "@/components/ui/primitives";
import { serverCaller } from "@/server/trpc/server";

export default async function ConsoleLayout({ children }: { children: ReactNode }) {
  const api = await serverCaller();
  // Only a missing session means "sign in"; any other failure is an error, not a redirect loop.
  const me = await api.org.me();
  if (!me.email) redirect("/sign-in");
  const roleSummary = me.grants
    .map((g) => `${g.role}${g.committeeFunction ? ` (${g.committeeFunction})` : ""} · ${g.tenantName ?? "global"}`)
    .join(", ");
  return (
    <TrpcReactProvider>
      <div className="flex min-h-screen">
        <Sidebar user={{ name: me.name ?? me.email, email: me.email, roleSummary: roleSummary || "no role yet" }} />
        <main className="min-w-0 flex-1 px-8 py-8">
          {me.grants.length === 0 ? (
            <Notice tone="info">
              Your account has no role yet. Ask a Policyplane admin to grant you one in Settings; until then there is nothing to show.
            </Notice>
          ) : (
            <>
              <ShellHeader />
              {children}
            </>
          )}
        </main>
      </div>
    </TrpcReactProvider>
  );
}
