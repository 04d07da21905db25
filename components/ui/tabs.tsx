"use client";

// Tabs over panels that stay mounted (an editor keeps its state and scroll
// position while another tab is shown); arrow keys move between tabs.
import { useId, useState, type KeyboardEvent, type ReactNode } from "react";

export interface TabPanel {
  id: string;
  label: ReactNode;
  content: ReactNode;
}

export function Tabs({ tabs, label, actions }: { tabs: TabPanel[]; label: string; actions?: (active: string) => ReactNode }) {
  const [active, setActive] = useState(tabs[0]!.id);
  const base = useId();
  const move = (e: KeyboardEvent, index: number) => {
    const step = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? -1 : 0;
    if (step === 0) return;
    const next = tabs[(index + step + tabs.length) % tabs.length]!;
    setActive(next.id);
    document.getElementById(`${base}-tab-${next.id}`)?.focus();
  };
  return (
    <section className="rounded-xl border border-slate-200 bg-white shadow-sm">
      <div className="flex items-center justify-between gap-2 border-b border-slate-100 px-3">
        <div role="tablist" aria-label={label} className="flex gap-1">
          {tabs.map((t, i) => (
            <button
              key={t.id}
              id={`${base}-tab-${t.id}`}
              type="button"
              role="tab"
              aria-selected={t.id === active}
              aria-controls={`${base}-panel-${t.id}`}
              tabIndex={t.id === active ? 0 : -1}
              onClick={() => setActive(t.id)}
              onKeyDown={(e) => move(e, i)}
              className={`-mb-px border-b-2 px-3 py-2.5 text-sm font-medium ${t.id === active ? "border-brand-600 text-slate-900" : "border-transparent text-slate-500 hover:text-slate-800"}`}
            >
              {t.label}
            </button>
          ))}
        </div>
        {actions?.(active)}
      </div>
      {tabs.map((t) => (
        <div
          key={t.id}
          id={`${base}-panel-${t.id}`}
          role="tabpanel"
          aria-labelledby={`${base}-tab-${t.id}`}
          hidden={t.id !== active}
          className="p-4"
        >
          {t.content}
        </div>
      ))}
    </section>
  );
}
