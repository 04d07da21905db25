"use client";

// The graph's view state is its URL: reading it follows every change, back and
// forward included; a change pushes a history entry (or replaces the current
// one) without a server round trip.
import { useSearchParams } from "next/navigation";
import { useCallback, useMemo } from "react";
import { graphUrl, readGraphUrl, type GraphUrlState } from "./url-state";

export type UpdateGraphUrl = (change: (current: GraphUrlState) => Partial<GraphUrlState>, history?: "push" | "replace") => void;

export function useGraphUrl(): [GraphUrlState, UpdateGraphUrl] {
  const params = useSearchParams();
  const key = params.toString();
  const state = useMemo(() => readGraphUrl(new URLSearchParams(key)), [key]);
  const update = useCallback<UpdateGraphUrl>((change, history = "push") => {
    // From the address bar, not the last render, so two changes in one event both count.
    const current = readGraphUrl(new URLSearchParams(window.location.search));
    const url = graphUrl({ ...current, ...change(current) });
    if (url === `${window.location.pathname}${window.location.search}`) return;
    // Next.js follows native history calls: useSearchParams answers the new URL, and back/forward restore it.
    if (history === "push") window.history.pushState(null, "", url);
    else window.history.replaceState(null, "", url);
  }, []);
  return [state, update];
}
