import type { Metadata } from "next";
import { SetPasswordForm } from "@/components/auth/set-password-form";
import { Logo } from "@/components/shell/logo";
import { TrpcReactProvider } from "@/components/trpc/client";

export const metadata: Metadata = { title: "Set your password" };

/** Where the one-time link printed by `policyplane admin create` leads. */
export default async function SetPasswordPage({ searchParams }: { searchParams: Promise<{ token?: string | string[] }> }) {
  const { token } = await searchParams;
  return (
    <div className="flex min-h-screen items-center justify-center bg-ink-900 px-4 py-12">
      <div className="w-full max-w-md rounded-2xl bg-white p-8 shadow-xl">
        <div className="mb-6 flex items-center gap-3">
          <Logo className="h-9 w-9" />
          <div>
            <h1 className="text-lg font-semibold text-slate-900">Set your password</h1>
            <p className="text-sm text-slate-500">This link works once and for 24 hours.</p>
          </div>
        </div>
        <TrpcReactProvider>
          <SetPasswordForm token={typeof token === "string" ? token : ""} />
        </TrpcReactProvider>
      </div>
    </div>
  );
}
