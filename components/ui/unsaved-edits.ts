"use client";

// Unsaved edits survive what a person does by accident: a reload or a closed tab
// (a local draft in this browser) and leaving the page (a warning first).
import { useCallback, useEffect, useState } from "react";

const LEAVE_QUESTION = "You have unsaved edits. Leave this page? (They stay in this browser as a local draft.)";

/**
 * While `dirty`, asks before the page is unloaded (reload, close, typed URL) and
 * before an in-app link is followed: the App Router has no navigation event to
 * veto, so same-origin link clicks are caught in the capture phase.
 */
export function useLeaveWarning(dirty: boolean): void {
  useEffect(() => {
    if (!dirty) return;
    const beforeUnload = (e: BeforeUnloadEvent) => e.preventDefault();
    const click = (e: MouseEvent) => {
      if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
      const link = (e.target as Element | null)?.closest?.("a[href]") as HTMLAnchorElement | null;
      if (!link || link.target === "_blank" || link.hasAttribute("download")) return;
      const to = new URL(link.href, window.location.href);
      if (to.origin !== window.location.origin || (to.pathname === window.location.pathname && to.search === window.location.search))
        return;
      if (!window.confirm(LEAVE_QUESTION)) {
        e.preventDefault();
        e.stopPropagation();
      }
    };
    window.addEventListener("beforeunload", beforeUnload);
    document.addEventListener("click", click, true);
    return () => {
      window.removeEventListener("beforeunload", beforeUnload);
      document.removeEventListener("click", click, true);
    };
  }, [dirty]);
}

export interface LocalDraft {
  text: string;
  /** The saved version the edits started from (null: never saved). */
  baseVersion: number | null;
  /** When the draft was last written (ms since epoch). */
  at: number;
}

function readDraft(key: string): LocalDraft | null {
  try {
    const raw = window.localStorage.getItem(key);
    const d = raw ? (JSON.parse(raw) as Partial<LocalDraft>) : null;
    return d && typeof d.text === "string" && typeof d.at === "number" && (d.baseVersion === null || typeof d.baseVersion === "number")
      ? (d as LocalDraft)
      : null;
  } catch {
    return null; // storage disabled, or a value this code did not write
  }
}

/**
 * A local draft of `text` under `key`, written while it differs from what the
 * server holds (`saved`) and removed once it does not. `found` is the draft a
 * previous visit left (read once, after mounting: the server render has no storage).
 */
export function useLocalDraft(
  key: string,
  text: string,
  saved: string,
  baseVersion: number | null,
): { found: LocalDraft | null; discard: () => void } {
  const [found, setFound] = useState<LocalDraft | null>(null);
  useEffect(() => {
    const d = readDraft(key);
    if (d && d.text !== saved) setFound(d);
    // Once per key, not per `saved`: only what was stored before this visit counts as found.
  }, [key]);
  useEffect(() => {
    const t = setTimeout(() => {
      try {
        // A draft found and not yet restored or discarded stays until the person decides.
        if (text === saved) {
          if (found === null) window.localStorage.removeItem(key);
        } else window.localStorage.setItem(key, JSON.stringify({ text, baseVersion, at: Date.now() } satisfies LocalDraft));
      } catch {
        // A full or disabled storage only loses the safety net, not the edit.
      }
    }, 300);
    return () => clearTimeout(t);
  }, [key, text, saved, baseVersion, found]);
  const discard = useCallback(() => {
    setFound(null);
    try {
      window.localStorage.removeItem(key);
    } catch {
      // nothing stored
    }
  }, [key]);
  return { found, discard };
}
