"use client";

// What the draft compiles to for one cluster, per target, with copy and download.
import { useState } from "react";
import { stringify } from "yaml";
import { Badge, Button } from "@/components/ui/primitives";

export interface CompiledGroups {
  cluster: string;
  target: string;
  groups: { group: string; objects: unknown[] }[];
  warnings: { path: string; line: number; column: number; message: string }[];
  errors: string[];
}

export const objectsToYaml = (objects: readonly unknown[]) => objects.map((o) => stringify(o, { lineWidth: 0 })).join("---\n");

export function CompiledOutput({ compiled, policyName }: { compiled: CompiledGroups; policyName: string }) {
  const firstWithObjects = compiled.groups.find((g) => g.objects.length > 0)?.group ?? compiled.groups[0]?.group ?? "NetworkPolicy";
  const [chosen, setChosen] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const active = compiled.groups.find((g) => g.group === (chosen ?? firstWithObjects)) ?? compiled.groups[0];
  const text = active ? objectsToYaml(active.objects) : "";
  const fileName = `${policyName || "policy"}-${compiled.cluster}-${(active?.group ?? "output").toLowerCase().replace(/\s+/g, "-")}.yaml`;
  return (
    <div data-testid="compiled-output">
      <div role="tablist" aria-label="Compiled targets" className="mb-2 flex flex-wrap gap-1">
        {compiled.groups.map((g) => (
          <button
            key={g.group}
            role="tab"
            aria-selected={g.group === active?.group}
            className={`rounded-md px-2 py-1 text-xs font-medium ${g.group === active?.group ? "bg-brand-600 text-white" : "bg-slate-100 text-slate-700 hover:bg-slate-200"}`}
            onClick={() => setChosen(g.group)}
          >
            {g.group} <span className="opacity-75">({g.objects.length})</span>
          </button>
        ))}
      </div>
      {active && active.objects.length > 0 ? (
        <>
          <div className="mb-1 flex gap-2">
            <Button
              variant="secondary"
              type="button"
              className="px-2 py-0.5 text-xs"
              onClick={async () => {
                await navigator.clipboard.writeText(text);
                setCopied(true);
                setTimeout(() => setCopied(false), 1500);
              }}
            >
              {copied ? "Copied" : "Copy"}
            </Button>
            <Button
              variant="secondary"
              type="button"
              className="px-2 py-0.5 text-xs"
              onClick={() => {
                const url = URL.createObjectURL(new Blob([text], { type: "application/yaml" }));
                const a = document.createElement("a");
                a.href = url;
                a.download = fileName;
                a.click();
                URL.revokeObjectURL(url);
              }}
            >
              Download
            </Button>
          </div>
          <pre
            data-testid="compiled-yaml"
            className="max-h-96 overflow-auto rounded-lg bg-slate-900 p-3 font-mono text-xs leading-5 text-slate-100"
          >
            {text}
          </pre>
        </>
      ) : (
        <p className="text-xs text-slate-500">Nothing of this kind for {compiled.cluster}.</p>
      )}
      {compiled.warnings.length > 0 ? (
        <ul className="mt-2 space-y-1 text-xs text-amber-800">
          {compiled.warnings.map((w, i) => (
            <li key={i}>
              <Badge tone="amber">target</Badge> {w.line > 0 ? `line ${w.line}: ` : ""}
              {w.message}
            </li>
          ))}
        </ul>
      ) : null}
      {compiled.errors.length > 0 ? (
        <p className="mt-2 text-xs text-rose-700">Rendered objects failed their schema (a compiler bug): {compiled.errors.join("; ")}</p>
      ) : null}
    </div>
  );
}
