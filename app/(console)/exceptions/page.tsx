import type { Metadata } from "next";
import { ExceptionsScreen } from "@/components/exceptions/exceptions-screen";
import { PageHeader } from "@/components/ui/primitives";

export const metadata: Metadata = { title: "Exceptions" };

const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

export default async function ExceptionsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const params = await searchParams;
  const n = Number(one(params.number));
  const from = one(params.from);
  const to = one(params.to);
  return (
    <>
      <PageHeader
        title="Exceptions"
        description="Time-boxed allows for one narrow flow, approved by the committee. An exception counts from its start up to its expiry instant, whether or not any job runs; compliance constraints can never be excepted."
      />
      <ExceptionsScreen {...(Number.isInteger(n) && n > 0 ? { number: n } : {})} {...(from ? { from } : {})} {...(to ? { to } : {})} />
    </>
  );
}
