"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useTRPC } from "@/components/trpc/client";
import { describeError } from "@/components/trpc/errors";
import { Badge, Button, Card, Field, Input, Notice, Select, Table, Td } from "@/components/ui/primitives";
import { COMMITTEE_FUNCTIONS, ROLES, TOKEN_SCOPE_LABELS, TOKEN_SCOPES, type TokenScope } from "@/lib/vocabulary";
import { PlatformDefaultSection } from "./platform-default";
import { RotateTokenControl, TokenLimitForm, whenUtc } from "./token-policy";

type RoleName = (typeof ROLES)[number];
type FunctionName = (typeof COMMITTEE_FUNCTIONS)[number];

const formatDate = (d: Date | null) => (d ? d.toISOString().slice(0, 10) : "—");

function useInvalidateSettings() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return () => queryClient.invalidateQueries({ queryKey: trpc.settings.pathKey() });
}

export function SettingsPanel() {
  const trpc = useTRPC();
  const users = useQuery(trpc.settings.users.queryOptions());
  // The platform default is shown to everyone (read-only unless admin); people and tokens to admins only.
  return (
    <div className="space-y-8">
      <PlatformDefaultSection />
      {users.isError ? (
        <div data-testid="settings-refused">
          <Notice tone="error">
            <strong>People and tokens are for administrators.</strong> The server refused: {describeError(users.error).message}
          </Notice>
        </div>
      ) : (
        <>
          <UsersSection />
          <TokensSection />
        </>
      )}
    </div>
  );
}

function UsersSection() {
  const trpc = useTRPC();
  const users = useQuery(trpc.settings.users.queryOptions());
  const tenants = useQuery(trpc.org.tenants.queryOptions());
  const invalidate = useInvalidateSettings();
  const removeMembership = useMutation(trpc.settings.removeMembership.mutationOptions({ onSuccess: invalidate }));
  const deleteUser = useMutation(trpc.settings.deleteUser.mutationOptions({ onSuccess: invalidate }));
  const [grantingFor, setGrantingFor] = useState<string | null>(null);
  const actionError = removeMembership.error ?? deleteUser.error;

  return (
    <Card title="Users and roles" actions={<span className="text-xs text-slate-500">Roles apply on the server at the next request</span>}>
      {actionError ? <Notice tone="error">{describeError(actionError).message}</Notice> : null}
      <Table head={["Name", "E-mail", "Roles", ""]}>
        {(users.data ?? []).map((u) => (
          <tr key={u.id} data-testid="user-row">
            <Td className="font-medium text-slate-900">{u.name}</Td>
            <Td className="font-mono text-xs">{u.email}</Td>
            <Td>
              <div className="flex flex-wrap gap-1.5">
                {u.memberships.map((m) => (
                  <span key={m.id} className="inline-flex items-center gap-1">
                    <Badge tone={m.role === "admin" ? "violet" : m.role === "approver" ? "amber" : m.role === "author" ? "blue" : "slate"}>
                      {m.role}
                      {m.committeeFunction ? ` · ${m.committeeFunction}` : ""} · {m.tenantName ?? "global"}
                    </Badge>
                    <button
                      className="text-xs text-slate-400 hover:text-rose-600"
                      aria-label={`Remove ${m.role} role of ${u.email}`}
                      onClick={() => removeMembership.mutate({ membershipId: m.id })}
                    >
                      ×
                    </button>
                  </span>
                ))}
              </div>
              {grantingFor === u.id ? <GrantForm userId={u.id} tenants={tenants.data ?? []} onDone={() => setGrantingFor(null)} /> : null}
            </Td>
            <Td className="whitespace-nowrap text-right">
              <Button variant="ghost" onClick={() => setGrantingFor(grantingFor === u.id ? null : u.id)}>
                Add role
              </Button>
              <Button
                variant="ghost"
                className="text-rose-700"
                onClick={() => {
                  if (window.confirm(`Remove ${u.email}? Their sessions end at once.`)) deleteUser.mutate({ userId: u.id });
                }}
              >
                Remove
              </Button>
            </Td>
          </tr>
        ))}
      </Table>
      <AddUserForm />
    </Card>
  );
}

function GrantForm({ userId, tenants, onDone }: { userId: string; tenants: { id: string; name: string }[]; onDone: () => void }) {
  const trpc = useTRPC();
  const invalidate = useInvalidateSettings();
  const [role, setRole] = useState<RoleName>("viewer");
  const grant = useMutation(
    trpc.settings.addMembership.mutationOptions({
      onSuccess: async () => {
        await invalidate();
        onDone();
      },
    }),
  );
  const failure = grant.error ? describeError(grant.error) : null;

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const tenantId = String(data.get("tenantId") ?? "");
    const committee = String(data.get("committeeFunction") ?? "");
    grant.mutate({
      userId,
      role,
      tenantId: tenantId || null,
      committeeFunction: role === "approver" && committee ? (committee as FunctionName) : null,
    });
  }

  return (
    <form onSubmit={submit} className="mt-3 grid grid-cols-4 items-end gap-2 rounded-lg bg-slate-50 p-3" aria-label="Add role">
      <Field label="Role">
        <Select name="role" value={role} onChange={(e) => setRole(e.target.value as RoleName)}>
          {ROLES.map((r) => (
            <option key={r}>{r}</option>
          ))}
        </Select>
      </Field>
      <Field label="Scope" error={failure?.fields.tenantId?.[0]}>
        <Select name="tenantId" defaultValue="">
          <option value="">Global</option>
          {tenants.map((t) => (
            <option key={t.id} value={t.id}>
              {t.name}
            </option>
          ))}
        </Select>
      </Field>
      <Field label="Committee" error={failure?.fields.committeeFunction?.[0]}>
        <Select name="committeeFunction" disabled={role !== "approver"} defaultValue="">
          <option value="">—</option>
          {COMMITTEE_FUNCTIONS.map((f) => (
            <option key={f}>{f}</option>
          ))}
        </Select>
      </Field>
      <div className="flex gap-2">
        <Button type="submit" disabled={grant.isPending}>
          Grant
        </Button>
        <Button type="button" variant="ghost" onClick={onDone}>
          Cancel
        </Button>
      </div>
      {failure && Object.keys(failure.fields).length === 0 ? (
        <div className="col-span-4">
          <Notice tone="error">{failure.message}</Notice>
        </div>
      ) : null}
    </form>
  );
}

function AddUserForm() {
  const trpc = useTRPC();
  const invalidate = useInvalidateSettings();
  const [created, setCreated] = useState<string | null>(null);
  const create = useMutation(trpc.settings.createUser.mutationOptions({ onSuccess: invalidate }));
  const failure = create.error ? describeError(create.error) : null;

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    const email = String(data.get("email") ?? "");
    create.mutate(
      { name: String(data.get("name") ?? ""), email, password: String(data.get("password") ?? "") },
      {
        onSuccess: () => {
          setCreated(email);
          form.reset();
        },
      },
    );
  }

  return (
    <form onSubmit={submit} className="mt-6 border-t border-slate-100 pt-5" aria-label="Add user" noValidate>
      <h3 className="mb-3 text-sm font-semibold text-slate-900">Add a user</h3>
      {created ? (
        <div className="mb-3">
          <Notice tone="success">{created} can now sign in. Give them a role above.</Notice>
        </div>
      ) : null}
      {failure && Object.keys(failure.fields).length === 0 ? (
        <div className="mb-3">
          <Notice tone="error">{failure.message}</Notice>
        </div>
      ) : null}
      <div className="grid grid-cols-4 items-start gap-3">
        <Field label="Name" error={failure?.fields.name?.[0]}>
          <Input name="name" aria-invalid={Boolean(failure?.fields.name)} />
        </Field>
        <Field label="E-mail" error={failure?.fields.email?.[0]}>
          <Input name="email" type="email" aria-invalid={Boolean(failure?.fields.email)} />
        </Field>
        <Field label="Initial password" error={failure?.fields.password?.[0]} hint="At least 10 characters">
          <Input name="password" type="password" autoComplete="new-password" aria-invalid={Boolean(failure?.fields.password)} />
        </Field>
        <div className="pt-6">
          <Button type="submit" disabled={create.isPending}>
            Add user
          </Button>
        </div>
      </div>
    </form>
  );
}

function TokensSection() {
  const trpc = useTRPC();
  const tokens = useQuery(trpc.settings.tokens.queryOptions());
  const tenants = useQuery(trpc.org.tenants.queryOptions());
  const clusters = useQuery(trpc.org.clusters.queryOptions());
  const invalidate = useInvalidateSettings();
  const tokenSettings = useQuery(trpc.settings.tokenSettings.queryOptions());
  const [fresh, setFresh] = useState<{ name: string; token: string; oldValidUntil?: Date } | null>(null);
  const create = useMutation(trpc.settings.createToken.mutationOptions({ onSuccess: invalidate }));
  const revoke = useMutation(trpc.settings.revokeToken.mutationOptions({ onSuccess: invalidate }));
  const failure = create.error ? describeError(create.error) : null;
  const tenantName = new Map((tenants.data ?? []).map((t) => [t.id, t.name]));
  const clusterName = new Map((clusters.data ?? []).map((c) => [c.id, c.name]));
  const tokenById = new Map((tokens.data ?? []).map((t) => [t.id, t]));
  const maxDays = tokenSettings.data?.maxExpiryDays;

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    const name = String(data.get("name") ?? "");
    const days = String(data.get("expiresInDays") ?? "");
    const never = data.get("neverExpires") === "on";
    create.mutate(
      {
        name,
        role: String(data.get("role")) as RoleName,
        tenantId: String(data.get("tenantId") ?? "") || null,
        scopes: data.getAll("scopes").map((scope) => String(scope) as TokenScope),
        clusterId: String(data.get("clusterId") ?? "") || null,
        // Empty: the server's default (90 days, or the maximum when shorter).
        expiresInDays: never ? null : days ? Number(days) : undefined,
      },
      {
        onSuccess: ({ token }) => {
          setFresh({ name, token });
          form.reset();
        },
      },
    );
  }

  return (
    <Card title="API tokens" actions={<span className="text-xs text-slate-500">For cluster agents and CI pipelines · stored hashed</span>}>
      {fresh ? (
        <div className="mb-4" data-testid="new-token">
          <Notice tone="success">
            Token <strong>{fresh.name}</strong> {fresh.oldValidUntil ? "rotated" : "created"}. Copy it now: it is not shown again.
            {fresh.oldValidUntil ? <> The old token keeps working until {whenUtc(fresh.oldValidUntil)}.</> : null}
            <code className="mt-2 block break-all rounded bg-white px-2 py-1 font-mono text-xs ring-1 ring-emerald-200">{fresh.token}</code>
          </Notice>
        </div>
      ) : null}
      <TokenLimitForm />
      {revoke.error ? <Notice tone="error">{describeError(revoke.error).message}</Notice> : null}
      <Table
        head={["Name", "Token", "Role", "Tenant", "May", "Cluster", "Created", "Expires", "Last used", "Status", ""]}
        empty={tokens.data?.length === 0 ? <p className="px-3 py-6 text-center text-sm text-slate-500">No API tokens yet.</p> : null}
      >
        {(tokens.data ?? []).map((t) => (
          <tr key={t.id} data-testid="token-row">
            <Td className="font-medium text-slate-900">{t.name}</Td>
            <Td className="font-mono text-xs">ppt_{t.prefix}_…</Td>
            <Td>{t.role}</Td>
            <Td>{t.tenantId ? (tenantName.get(t.tenantId) ?? "tenant") : "global"}</Td>
            <Td className="text-xs">
              <span data-testid="token-scopes">{t.scopes.length ? t.scopes.join(", ") : "only say who it is"}</span>
            </Td>
            <Td>{t.clusterId ? (clusterName.get(t.clusterId) ?? "cluster") : "any"}</Td>
            <Td>{formatDate(t.createdAt)}</Td>
            <Td>{formatDate(t.expiresAt)}</Td>
            <Td>{formatDate(t.lastUsedAt)}</Td>
            <Td>
              {t.revokedAt ? (
                <Badge tone="red">revoked</Badge>
              ) : t.rotatedToId ? (
                <span data-testid="token-rotated" className="text-xs">
                  <Badge tone={t.oldValidUntil && t.oldValidUntil < new Date() ? "amber" : "violet"}>rotated</Badge> →{" "}
                  <span className="font-mono">ppt_{tokenById.get(t.rotatedToId)?.prefix ?? "?"}_…</span>, old valid until{" "}
                  {t.oldValidUntil ? whenUtc(t.oldValidUntil) : "—"}
                </span>
              ) : t.expiresAt && t.expiresAt < new Date() ? (
                <Badge tone="amber">expired</Badge>
              ) : (
                <Badge tone="green">active</Badge>
              )}
            </Td>
            <Td>
              {t.revokedAt || (t.expiresAt && t.expiresAt < new Date()) ? null : (
                <div className="flex flex-wrap items-end gap-2">
                  {t.rotatedToId ? null : <RotateTokenControl tokenId={t.id} tokenName={t.name} onRotated={setFresh} />}
                  <Button variant="danger" onClick={() => revoke.mutate({ tokenId: t.id })}>
                    Revoke
                  </Button>
                </div>
              )}
            </Td>
          </tr>
        ))}
      </Table>
      <form
        onSubmit={submit}
        className="mt-6 grid grid-cols-6 items-start gap-3 border-t border-slate-100 pt-5"
        aria-label="Create API token"
        noValidate
      >
        <Field label="Name" error={failure?.fields.name?.[0]}>
          <Input name="name" placeholder="e.g. prod-eu-1 agent" aria-invalid={Boolean(failure?.fields.name)} />
        </Field>
        <Field label="Role">
          <Select name="role" defaultValue="viewer">
            {ROLES.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </Select>
        </Field>
        <Field label="Tenant">
          <Select name="tenantId" defaultValue="">
            <option value="">Global</option>
            {(tenants.data ?? []).map((t) => (
              <option key={t.id} value={t.id}>
                {t.name}
              </option>
            ))}
          </Select>
        </Field>
        <Field label="Cluster" hint="A cluster's agent: bind its token to that cluster">
          <Select name="clusterId" defaultValue="">
            <option value="">Any cluster</option>
            {(clusters.data ?? []).map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </Select>
        </Field>
        <div>
          <Field
            label="Expires in (days)"
            error={failure?.fields.expiresInDays?.[0]}
            hint={maxDays === null ? "Empty: 90 days; no maximum" : `Empty: ${Math.min(90, maxDays ?? 90)} days; at most ${maxDays ?? "…"}`}
          >
            <Input name="expiresInDays" type="number" min={1} max={maxDays ?? 3650} placeholder="90" />
          </Field>
          {maxDays === null ? (
            <label className="mt-1 flex items-center gap-1.5 text-xs text-slate-700">
              <input type="checkbox" name="neverExpires" /> Never expires
            </label>
          ) : null}
        </div>
        <fieldset className="col-span-6" aria-invalid={Boolean(failure?.fields.scopes)}>
          <legend className="text-sm font-medium text-slate-700">May</legend>
          <div className="mt-1 flex flex-wrap gap-x-5 gap-y-1">
            {TOKEN_SCOPES.map((scope) => (
              <label key={scope} className="flex items-center gap-1.5 text-sm text-slate-700">
                <input type="checkbox" name="scopes" value={scope} defaultChecked={scope === "decide"} />
                {TOKEN_SCOPE_LABELS[scope]}
              </label>
            ))}
          </div>
          {failure?.fields.scopes ? <p className="mt-1 text-xs text-red-700">{failure.fields.scopes[0]}</p> : null}
        </fieldset>
        <div className="pt-6">
          <Button type="submit" disabled={create.isPending}>
            Create token
          </Button>
        </div>
      </form>
      {failure && Object.keys(failure.fields).length === 0 ? <Notice tone="error">{failure.message}</Notice> : null}
    </Card>
  );
}
