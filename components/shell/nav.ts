/** The console's sections, in the order of the navigation; `later`: a section whose feature is not built yet (marked, not hidden). */
export const NAV_ITEMS: readonly { href: string; label: string; later?: true }[] = [
  { href: "/overview", label: "Overview" },
  { href: "/policies", label: "Policies" },
  { href: "/graph", label: "Graph" },
  { href: "/simulator", label: "Simulator" },
  { href: "/changes", label: "Changes" },
  { href: "/reviews", label: "Reviews" },
  { href: "/releases", label: "Releases" },
  { href: "/exceptions", label: "Exceptions" },
  { href: "/clusters", label: "Clusters" },
  { href: "/violations", label: "Violations", later: true },
  { href: "/audit", label: "Audit" },
  { href: "/settings", label: "Settings" },
];
