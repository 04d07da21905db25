// Number display shared by the console's screens (browser and server): counts with thousands
// separators, one locale everywhere so tests and screenshots read the same on every machine.

const COUNT = new Intl.NumberFormat("en");

/** 1234567 → "1,234,567". */
export function formatCount(n: number): string {
  return COUNT.format(n);
}
