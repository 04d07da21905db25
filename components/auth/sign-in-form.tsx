"use client";

import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { Button, Field, Input, Notice } from "@/components/ui/primitives";
import { authClient } from "./auth-client";

export interface DemoAccount {
  name: string;
  email: string;
  title: string;
  role: string;
}

function messageFor(error: { status?: number; message?: string; code?: string }): string {
  if (error.status === 429) return "Too many sign-in attempts. Wait a minute, then try again.";
  if (error.status === 401 || error.code === "INVALID_EMAIL_OR_PASSWORD") return "That e-mail and password do not match an account.";
  if (error.status === 403 && /origin/i.test(error.message ?? ""))
    return `The server does not accept sign-ins from ${window.location.origin}. Open the console at the address the server prints when it starts, or set BETTER_AUTH_URL to this address on the server.`;
  return error.message || "Sign-in failed. Try again.";
}

export function SignInForm({
  demoAccounts,
  demoPassword,
  sso,
  initialError = null,
}: {
  demoAccounts: DemoAccount[];
  demoPassword: string | null;
  sso: { id: string; name: string } | null;
  initialError?: string | null;
}) {
  const router = useRouter();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(initialError);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const { error: failure } = await authClient.signIn.email({ email, password });
    if (failure) {
      setError(messageFor(failure));
      setBusy(false);
      return;
    }
    router.replace("/overview");
    router.refresh();
  }

  return (
    <div className="space-y-6">
      <form onSubmit={submit} className="space-y-4" noValidate>
        {error ? <Notice tone="error">{error}</Notice> : null}
        <Field label="E-mail">
          <Input type="email" name="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </Field>
        <Field label="Password">
          <Input
            type="password"
            name="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </Field>
        <Button type="submit" disabled={busy || !email || !password} className="w-full py-2">
          {busy ? "Signing in…" : "Sign in"}
        </Button>
        {sso ? (
          <Button
            type="button"
            variant="secondary"
            className="w-full py-2"
            onClick={() => authClient.signIn.social({ provider: sso.id, callbackURL: "/overview" })}
          >
            Sign in with {sso.name}
          </Button>
        ) : null}
      </form>

      {demoAccounts.length > 0 && demoPassword ? (
        <div className="rounded-lg bg-amber-50 p-4 ring-1 ring-amber-200" data-testid="demo-accounts">
          <p className="text-xs font-semibold uppercase tracking-wide text-amber-900">Demo organisation · demo-only accounts</p>
          <p className="mt-1 text-xs text-amber-900">
            Every demo account uses the password <code className="rounded bg-white px-1 font-mono">{demoPassword}</code>. Click one to fill
            the form.
          </p>
          <ul className="mt-3 divide-y divide-amber-200/70">
            {demoAccounts.map((a) => (
              <li key={a.email}>
                <button
                  type="button"
                  className="flex w-full items-center justify-between gap-3 py-1.5 text-left text-sm hover:text-amber-950"
                  onClick={() => {
                    setEmail(a.email);
                    setPassword(demoPassword);
                  }}
                >
                  <span>
                    <span className="font-medium">{a.name}</span> <span className="text-amber-800">· {a.title}</span>
                    <span className="block font-mono text-xs text-amber-800">{a.email}</span>
                  </span>
                  <span className="shrink-0 rounded bg-white px-1.5 py-0.5 text-xs text-amber-900 ring-1 ring-amber-200">{a.role}</span>
                </button>
              </li>
            ))}
          </ul>
        </div>
      ) : null}
    </div>
  );
}
