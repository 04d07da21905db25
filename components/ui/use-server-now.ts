"use client";
// The server's clock in the browser: a reply's `now` (the server's serverNow(), which a test
// server may have moved) fixes the offset to the browser's clock, and the value ticks every
// second from there. Countdowns of exceptions read this, never the browser's own Date.now().
import { useEffect, useState } from "react";

export function useServerNow(serverNow: string | undefined): number {
  const [offset, setOffset] = useState(0);
  const [tick, setTick] = useState(() => Date.now());
  useEffect(() => {
    if (serverNow) setOffset(Date.parse(serverNow) - Date.now());
  }, [serverNow]);
  useEffect(() => {
    const t = setInterval(() => setTick(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  return tick + offset;
}
