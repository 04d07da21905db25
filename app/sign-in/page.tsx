import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { SignInForm } from "@/components/auth/sign-in-form";
import { AuthPage } from "@/components/auth/auth-page";
import { getRuntime } from "@/server/runtime";
import { DEMO_PASSWORD, DEMO_USERS } from "@/server/seed/demo-data";
import { demoUsersPresent } from "@/server/seed/demo";
import { requestContext } from "@/server/trpc/server";

export const metadata: Metadata = { title: "Sign in" };

/** Why single sign-on sent the person back here (better-auth's error codes). */
const SSO_ERRORS: Record<string, string> = {
  account_not_linked:
    "An account with this e-mail already exists. Sign in with its password, then link your single sign-on identity in Settings.",
};

export default async function SignInPage({ searchParams }: { searchParams: Promise<{ error?: string | string[] }> }) {
  const { error } = await searchParams;
  const ssoError = typeof error === "string" ? (SSO_ERRORS[error] ?? "Single sign-on did not complete. Try again, or ask an admin.") : null;
  const ctx = await requestContext();
  if (ctx.actor) redirect("/overview");
  const runtime = await getRuntime();
  const demo = runtime.env.POLICYPLANE_DEMO === "on" && (await demoUsersPresent(runtime.database.db));
  const demoAccounts = demo
    ? DEMO_USERS.map((u) => ({
        name: u.name,
        email: u.email,
        title: u.title,
        role: u.grants.map(
          (g) => `${g.role}${g.committeeFunction ? ` · ${g.committeeFunction}` : ""}${g.tenant ? ` · ${g.tenant}` : ""}`,
        )[0]!,
      }))
    : [];
  const sso = runtime.env.OIDC_DISCOVERY_URL ? { id: runtime.env.OIDC_PROVIDER_ID, name: runtime.env.OIDC_PROVIDER_NAME } : null;

  return (
    <AuthPage title="Sign in to Policyplane" subtitle="Network segmentation and egress control for every cluster">
      <SignInForm demoAccounts={demoAccounts} demoPassword={demo ? DEMO_PASSWORD : null} sso={sso} initialError={ssoError} />
    </AuthPage>
  );
}
