"use client";
// The bell in the shell header: my unread count, and a list of my newest
// notifications; opening one marks it read, "Mark all read" marks the rest.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useRef, useState } from "react";
import { useTRPC } from "@/components/trpc/client";

/** How often the count refreshes while the console is open. */
const POLL_MS = 15_000;

function ago(date: Date, now: number): string {
  const s = Math.max(0, Math.round((now - date.getTime()) / 1000));
  if (s < 60) return "just now";
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return date.toISOString().slice(0, 10);
}

function BellIcon() {
  return (
    <svg aria-hidden viewBox="0 0 24 24" className="h-5 w-5" fill="none" stroke="currentColor" strokeWidth={1.8}>
      <path
        strokeLinecap="round"
        strokeLinejoin="round"
        d="M15 17h5l-1.4-1.4A2 2 0 0 1 18 14.2V11a6 6 0 1 0-12 0v3.2a2 2 0 0 1-.6 1.4L4 17h5m6 0a3 3 0 1 1-6 0m6 0H9"
      />
    </svg>
  );
}

export function NotificationBell() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const panel = useRef<HTMLDivElement>(null);
  const mine = useQuery(trpc.notifications.mine.queryOptions(undefined, { refetchInterval: POLL_MS }));
  const markRead = useMutation(
    trpc.notifications.markRead.mutationOptions({
      onSettled: () => queryClient.invalidateQueries({ queryKey: trpc.notifications.mine.queryKey() }),
    }),
  );
  useEffect(() => {
    if (!open) return;
    const close = (event: MouseEvent | KeyboardEvent) => {
      if (event instanceof KeyboardEvent ? event.key === "Escape" : !panel.current?.contains(event.target as Node)) setOpen(false);
    };
    document.addEventListener("mousedown", close);
    document.addEventListener("keydown", close);
    return () => {
      document.removeEventListener("mousedown", close);
      document.removeEventListener("keydown", close);
    };
  }, [open]);

  const unread = mine.data?.unread ?? 0;
  const items = mine.data?.items ?? [];
  const now = Date.now();
  return (
    <div className="relative" ref={panel}>
      <button
        type="button"
        data-testid="notification-bell"
        data-unread={unread}
        aria-label={unread ? `Notifications: ${unread} unread` : "Notifications"}
        aria-expanded={open}
        onClick={() => setOpen(!open)}
        className="relative rounded-full p-2 text-slate-600 hover:bg-slate-100 hover:text-slate-900"
      >
        <BellIcon />
        {unread > 0 ? (
          <span
            data-testid="notification-count"
            className="absolute -right-0.5 -top-0.5 min-w-5 rounded-full bg-red-600 px-1.5 text-center text-[11px] font-semibold leading-5 text-white"
          >
            {unread > 99 ? "99+" : unread}
          </span>
        ) : null}
      </button>
      {open ? (
        <div
          role="dialog"
          aria-label="Notifications"
          className="absolute right-0 z-30 mt-2 w-96 overflow-hidden rounded-xl border border-slate-200 bg-white shadow-lg"
        >
          <div className="flex items-center justify-between border-b border-slate-100 px-4 py-2.5">
            <h2 className="text-sm font-semibold text-slate-900">Notifications</h2>
            <button
              type="button"
              className="text-xs font-medium text-brand-600 hover:underline disabled:text-slate-400 disabled:no-underline"
              disabled={unread === 0 || markRead.isPending}
              onClick={() => markRead.mutate({})}
            >
              Mark all read
            </button>
          </div>
          {items.length === 0 ? (
            <p className="px-4 py-6 text-center text-sm text-slate-500">{mine.isPending ? "Loading…" : "Nothing yet."}</p>
          ) : (
            <ul className="max-h-96 divide-y divide-slate-100 overflow-y-auto" data-testid="notification-list">
              {items.map((n) => (
                <li key={n.id} data-testid="notification" data-unread={String(n.readAt === null)}>
                  <Link
                    href={n.href}
                    prefetch={false}
                    onClick={() => {
                      if (n.readAt === null) markRead.mutate({ ids: [n.id] });
                      setOpen(false);
                    }}
                    className={`flex gap-3 px-4 py-3 text-sm hover:bg-slate-50 ${n.readAt === null ? "bg-brand-50/40" : ""}`}
                  >
                    <span
                      aria-hidden
                      className={`mt-1.5 h-2 w-2 shrink-0 rounded-full ${n.readAt === null ? "bg-brand-600" : "bg-transparent"}`}
                    />
                    <span className="min-w-0">
                      <span className={`block ${n.readAt === null ? "font-medium text-slate-900" : "text-slate-600"}`}>{n.title}</span>
                      <span className="mt-0.5 block text-xs text-slate-500">
                        {n.actorLabel} · {ago(n.createdAt, now)}
                      </span>
                    </span>
                  </Link>
                </li>
              ))}
            </ul>
          )}
        </div>
      ) : null}
    </div>
  );
}
