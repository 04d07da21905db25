import type { Metadata } from "next";
import { SetPasswordForm } from "@/components/auth/set-password-form";
import { AuthPage } from "@/components/auth/auth-page";
import { TrpcReactProvider } from "@/components/trpc/client";

export const metadata: Metadata = { title: "Set your password" };

/** Where the one-time link printed by `policyplane admin create` leads. */
export default async function SetPasswordPage({ searchParams }: { searchParams: Promise<{ token?: string | string[] }> }) {
  const { token } = await searchParams;
  return (
    <AuthPage title="Set your password" subtitle="This link works once and for 24 hours.">
      <TrpcReactProvider>
        <SetPasswordForm token={typeof token === "string" ? token : ""} />
      </TrpcReactProvider>
    </AuthPage>
  );
}
