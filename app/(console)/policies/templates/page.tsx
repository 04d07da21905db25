import type { Metadata } from "next";
import Link from "next/link";
import { Badge, Card, PageHeader } from "@/components/ui/primitives";
import { serverCaller } from "@/server/trpc/server";

export const metadata: Metadata = { title: "Policy templates" };

export default async function TemplatesPage() {
  const api = await serverCaller();
  const [templates, me] = await Promise.all([api.policies.templates(), api.org.me()]);
  return (
    <>
      <PageHeader
        title="Templates"
        description="Common patterns as parameterised policies. A template asks for its parameters and produces a draft policy you can edit."
      />
      <div className="grid gap-4 md:grid-cols-2 xl:grid-cols-3" data-testid="templates">
        {templates.map((t) => (
          <Card key={t.id} title={<span className="font-mono">{t.id}</span>}>
            <p className="text-sm text-slate-700">{t.description}</p>
            <p className="mt-2 text-xs text-slate-500">
              <Badge>{t.tier} tier</Badge> Parameters: {t.parameters.map((p) => p.name).join(", ")}
            </p>
            {me.mayDraft ? (
              <Link
                href={`/policies/new?template=${encodeURIComponent(t.id)}`}
                className="mt-3 inline-block text-sm font-medium text-brand-700 hover:underline"
              >
                Use this template →
              </Link>
            ) : null}
          </Card>
        ))}
      </div>
    </>
  );
}
