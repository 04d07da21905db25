"use client";

import { useMutation } from "@tanstack/react-query";
import Link from "next/link";
import { useState, type FormEvent } from "react";
import { useTRPC } from "@/components/trpc/client";
import { describeError } from "@/components/trpc/errors";
import { Button, Field, Input, Notice } from "@/components/ui/primitives";

export function SetPasswordForm({ token }: { token: string }) {
  const trpc = useTRPC();
  const setPassword = useMutation(trpc.account.setPassword.mutationOptions());
  const [password, setPasswordValue] = useState("");
  const [confirm, setConfirm] = useState("");
  const mismatch = confirm.length > 0 && confirm !== password;

  if (!token) return <Notice tone="error">This page needs the link an admin gave you (it ends in ?token=…).</Notice>;
  if (setPassword.isSuccess) {
    return (
      <div className="space-y-4" data-testid="password-set">
        <Notice tone="success">Your password is set for {setPassword.data.email}.</Notice>
        <Link href="/sign-in" className="text-sm font-medium text-blue-700 underline">
          Sign in
        </Link>
      </div>
    );
  }
  const error = setPassword.error ? describeError(setPassword.error) : null;
  return (
    <form
      className="space-y-4"
      noValidate
      onSubmit={(event: FormEvent) => {
        event.preventDefault();
        setPassword.mutate({ token, password });
      }}
    >
      {error ? <Notice tone="error">{error.fields.token?.[0] ?? error.fields.password?.[0] ?? error.message}</Notice> : null}
      <Field label="New password (at least 10 characters)">
        <Input
          type="password"
          name="password"
          autoComplete="new-password"
          value={password}
          onChange={(e) => setPasswordValue(e.target.value)}
        />
      </Field>
      <Field label="The same password again">
        <Input type="password" name="confirm" autoComplete="new-password" value={confirm} onChange={(e) => setConfirm(e.target.value)} />
      </Field>
      {mismatch ? <p className="text-xs text-red-700">The two passwords differ.</p> : null}
      <Button type="submit" disabled={setPassword.isPending || password.length < 10 || confirm !== password} className="w-full py-2">
        {setPassword.isPending ? "Setting…" : "Set password"}
      </Button>
    </form>
  );
}
