import Link from "next/link";

const TABS = [
  { href: "/violations", label: "Dashboard" },
  { href: "/violations/alerts", label: "Alerts" },
] as const;

/** The Violations section's two views. */
export function ViolationsTabs({ current }: { current: (typeof TABS)[number]["href"] }) {
  return (
    <nav aria-label="Violations views" className="mb-4 flex gap-1 border-b border-slate-200">
      {TABS.map((t) => (
        <Link
          key={t.href}
          href={t.href}
          aria-current={t.href === current ? "page" : undefined}
          className={
            t.href === current
              ? "-mb-px border-b-2 border-brand-600 px-3 py-2 text-sm font-medium text-brand-700"
              : "px-3 py-2 text-sm text-slate-600 hover:text-slate-900"
          }
        >
          {t.label}
        </Link>
      ))}
    </nav>
  );
}
