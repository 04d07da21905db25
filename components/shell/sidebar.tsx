"use client";

import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import { useState } from "react";
import { authClient } from "@/components/auth/auth-client";
import { Logo } from "./logo";
import { NAV_ITEMS } from "./nav";

export interface ShellUser {
  name: string;
  email: string;
  roleSummary: string;
}

export function Sidebar({ user }: { user: ShellUser }) {
  const pathname = usePathname();
  const router = useRouter();
  const [signingOut, setSigningOut] = useState(false);

  async function signOut() {
    setSigningOut(true);
    await authClient.signOut();
    router.replace("/sign-in");
    router.refresh();
  }

  return (
    <aside className="flex w-60 shrink-0 flex-col bg-ink-900 text-slate-300">
      <div className="flex items-center gap-2.5 px-5 py-5">
        <Logo />
        <span className="text-base font-semibold tracking-tight text-white">Policyplane</span>
      </div>
      <nav aria-label="Main" className="flex-1 space-y-0.5 px-3">
        {NAV_ITEMS.map((item) => {
          const active = pathname === item.href || pathname.startsWith(`${item.href}/`);
          return (
            <Link
              key={item.href}
              href={item.href}
              // Every console page is dynamic (per-user data); prefetching all ten on each
              // page load only competes with the page's own queries on the server.
              prefetch={false}
              aria-current={active ? "page" : undefined}
              className={`flex items-center justify-between rounded-md px-3 py-2 text-sm font-medium transition ${active ? "bg-white/10 text-white" : "hover:bg-white/5 hover:text-white"}`}
            >
              {item.label}
            </Link>
          );
        })}
      </nav>
      <div className="border-t border-white/10 px-5 py-4">
        <p className="truncate text-sm font-medium text-white" data-testid="current-user">
          {user.name}
        </p>
        <p className="truncate text-xs text-slate-400">{user.email}</p>
        <p className="mt-0.5 truncate text-xs text-slate-400">{user.roleSummary}</p>
        <button
          onClick={signOut}
          disabled={signingOut}
          className="mt-3 text-xs font-medium text-slate-300 underline-offset-2 hover:text-white hover:underline"
        >
          {signingOut ? "Signing out…" : "Sign out"}
        </button>
      </div>
    </aside>
  );
}
