"use client";

import { useState } from "react";
import { authClient } from "@/components/auth/auth-client";
import { Button, Card, Notice } from "@/components/ui/primitives";

/**
 * Linking the signed-in person's own SSO identity: signing in through SSO never joins an
 * existing account by e-mail on its own. The provider sends the person back here; the link is audited.
 */
export function LinkSsoAccount({ sso, linked }: { sso: { id: string; name: string }; linked: boolean }) {
  const [error, setError] = useState<string | null>(null);
  return (
    <Card title="Your account">
      {error ? <Notice tone="error">{error}</Notice> : null}
      {linked ? (
        <p className="text-sm text-slate-600" data-testid="sso-linked">
          Your account is linked to {sso.name}: you can sign in with it.
        </p>
      ) : (
        <div className="flex items-center justify-between gap-4">
          <p className="text-sm text-slate-600">
            Link your {sso.name} identity to this account to sign in with it. You will be asked to sign in at {sso.name}.
          </p>
          <Button
            type="button"
            variant="secondary"
            onClick={async () => {
              const { error: failure } = await authClient.linkSocial({ provider: sso.id, callbackURL: "/settings" });
              if (failure) setError(failure.message ?? "Linking failed. Try again.");
            }}
          >
            Link {sso.name} account
          </Button>
        </div>
      )}
    </Card>
  );
}
