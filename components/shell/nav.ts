/** The console's sections, in the order of the navigation. */
export const NAV_ITEMS: readonly { href: string; label: string }[] = [
  { href: "/overview", label: "Overview" },
  { href: "/policies", label: "Policies" },
  { href: "/graph", label: "Graph" },
  { href: "/simulator", label: "Simulator" },
  { href: "/changes", label: "Changes" },
  { href: "/reviews", label: "Reviews" },
  { href: "/releases", label: "Releases" },
  { href: "/exceptions", label: "Exceptions" },
  { href: "/clusters", label: "Clusters" },
  { href: "/violations", label: "Violations" },
  { href: "/audit", label: "Audit" },
  { href: "/settings", label: "Settings" },
];
