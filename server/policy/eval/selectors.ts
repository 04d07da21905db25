/** Kubernetes label-selector semantics, compiled to predicates once. */
import type { LabelSelector, Labels, NamespaceMatch, WorkloadSelector } from "../model";

export type LabelPredicate = (labels: Labels) => boolean;

const always: LabelPredicate = () => true;

/**
 * matchLabels AND every matchExpression. An empty selector matches everything.
 * In: key present and value in values. NotIn: key absent, or value not in values.
 * Exists: key present. DoesNotExist: key absent.
 */
export function compileSelector(sel: LabelSelector): LabelPredicate {
  const checks: LabelPredicate[] = [];
  for (const [k, v] of Object.entries(sel.matchLabels)) checks.push((l) => l[k] === v);
  for (const r of sel.matchExpressions) {
    const key = r.key;
    const values = new Set(r.values);
    switch (r.operator) {
      case "In":
        checks.push((l) => {
          const v = l[key];
          return v !== undefined && values.has(v);
        });
        break;
      case "NotIn":
        checks.push((l) => {
          const v = l[key];
          return v === undefined || !values.has(v);
        });
        break;
      case "Exists":
        checks.push((l) => l[key] !== undefined);
        break;
      case "DoesNotExist":
        checks.push((l) => l[key] === undefined);
        break;
    }
  }
  if (checks.length === 0) return always;
  if (checks.length === 1) return checks[0]!;
  return (l) => {
    for (const c of checks) if (!c(l)) return false;
    return true;
  };
}

/**
 * The namespace part of a workload selector, as a predicate over a namespace's name and labels.
 * `home` is the namespace of the policy that holds the selector (NamespaceMatch "policy").
 */
export function compileNamespaceMatch(m: NamespaceMatch, home: string | undefined): (namespace: string, nsLabels: Labels) => boolean {
  switch (m.kind) {
    case "policy":
      return (namespace) => namespace === home;
    case "names": {
      const names = new Set(m.names);
      return (namespace) => names.has(namespace);
    }
    case "selector": {
      const pred = compileSelector(m.selector);
      return (_namespace, nsLabels) => pred(nsLabels);
    }
  }
}

/** A workload selector (namespaces × pods) as a predicate over a pod's namespace, namespace labels and labels. */
export function compileWorkloadSelector(
  ws: WorkloadSelector,
  home?: string,
): (namespace: string, nsLabels: Labels, labels: Labels) => boolean {
  const inNamespace = compileNamespaceMatch(ws.namespaces, home);
  const pods = compileSelector(ws.pods);
  return (namespace, nsLabels, labels) => inNamespace(namespace, nsLabels) && pods(labels);
}

/** The pods of the entity kube-dns: kube-system pods labelled k8s-app=kube-dns. */
export function isKubeDns(namespace: string | undefined, labels: Labels): boolean {
  return namespace === "kube-system" && labels["k8s-app"] === "kube-dns";
}

export function matchesSelector(sel: LabelSelector, labels: Labels): boolean {
  return compileSelector(sel)(labels);
}

export function isEmptySelector(sel: LabelSelector): boolean {
  return Object.keys(sel.matchLabels).length === 0 && sel.matchExpressions.length === 0;
}

export function formatSelector(sel: LabelSelector): string {
  const parts = Object.entries(sel.matchLabels).map(([k, v]) => `${k}=${v}`);
  for (const r of sel.matchExpressions) {
    if (r.operator === "Exists") parts.push(r.key);
    else if (r.operator === "DoesNotExist") parts.push(`!${r.key}`);
    else parts.push(`${r.key} ${r.operator === "In" ? "in" : "notin"} (${r.values.join(",")})`);
  }
  return parts.length ? parts.join(",") : "(all)";
}

/** DNS name or wildcard: `*.example.com` matches any name ending in `.example.com` (one or more labels); `*` matches everything. */
export function dnsMatches(pattern: string, name: string): boolean {
  const p = pattern.toLowerCase().replace(/\.$/, "");
  const n = name.toLowerCase().replace(/\.$/, "");
  if (p === "*") return true;
  if (p.startsWith("*.")) return n.endsWith(p.slice(1)) && n.length > p.length - 1;
  if (p.includes("*")) {
    const re = new RegExp(
      `^${p
        .split("*")
        .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
        .join("[-a-z0-9_]*")}$`,
    );
    return re.test(n);
  }
  return p === n;
}
