"use client";

// The graph's view state is its URL: a change shows at once (the controls are
// controlled by this state, so a checkbox must not wait for the router) and is
// written to the address bar as a history entry (or in place of the current
// one) without a server round trip; back, forward and links read it back.
import { useSearchParams } from "next/navigation";
import { useCallback, useEffect, useState } from "react";
import { graphUrl, readGraphUrl, type GraphUrlState } from "./url-state";

export type UpdateGraphUrl = (change: (current: GraphUrlState) => Partial<GraphUrlState>, history?: "push" | "replace") => void;

export function useGraphUrl(): [GraphUrlState, UpdateGraphUrl] {
  const query = useSearchParams().toString();
  const [state, setState] = useState(() => readGraphUrl(new URLSearchParams(query)));
  // The address changed under us (back, forward, a link): follow it, unless it is what we wrote
  // or a step the address bar has already left (two quick changes).
  const [seenQuery, setSeenQuery] = useState(query);
  if (seenQuery !== query) {
    setSeenQuery(query);
    const read = readGraphUrl(new URLSearchParams(query));
    const current = typeof window === "undefined" || new URLSearchParams(window.location.search).toString() === query;
    if (current && graphUrl(read) !== graphUrl(state)) setState(read);
  }
  // Back and forward also answer from the address bar itself: after a reload, Chromium can step
  // through entries the previous document pushed without the router reporting the new query.
  useEffect(() => {
    const follow = () => setState(readGraphUrl(new URLSearchParams(window.location.search)));
    window.addEventListener("popstate", follow);
    return () => window.removeEventListener("popstate", follow);
  }, []);
  const update = useCallback<UpdateGraphUrl>((change, history = "push") => {
    // From the address bar, not the last render, so two changes in one event both count.
    const current = readGraphUrl(new URLSearchParams(window.location.search));
    const next = { ...current, ...change(current) };
    const url = graphUrl(next);
    if (url === `${window.location.pathname}${window.location.search}`) return;
    setState(next);
    // Next.js follows native history calls: useSearchParams answers the new URL, and back/forward restore it.
    if (history === "push") window.history.pushState(null, "", url);
    else window.history.replaceState(null, "", url);
  }, []);
  return [state, update];
}
