// Documents that could not be wholly applied to the drawn clusters: a few above
// the canvas, the rest behind "and N more", so the graph stays in view.
import { Notice } from "@/components/ui/primitives";
import type { GraphWarning } from "@/lib/graph/types";

const WARNINGS_SHOWN = 5;

function WarningItem({ w }: { w: GraphWarning }) {
  return (
    <li>
      <a className="font-mono text-amber-950 underline" href={`/policies/${encodeURIComponent(w.document)}`}>
        {w.document}
      </a>
      {w.path ? <span className="font-mono"> {w.path}</span> : null}: {w.message}{" "}
      <span className="text-amber-700">({w.clusters.join(", ")})</span>
    </li>
  );
}

const key = (w: GraphWarning) => `${w.document}|${w.path}|${w.message}`;

export function GraphWarnings({ warnings }: { warnings: readonly GraphWarning[] }) {
  if (warnings.length === 0) return null;
  const documents = new Set(warnings.map((w) => w.document)).size;
  return (
    <Notice tone="warning">
      <p className="font-medium">
        {documents === 1 ? "One document" : `${documents} documents`} could not be wholly applied, so this graph may lack paths their
        authors meant:
      </p>
      <ul className="mt-1 list-disc pl-5" data-testid="graph-warnings">
        {warnings.slice(0, WARNINGS_SHOWN).map((w) => (
          <WarningItem key={key(w)} w={w} />
        ))}
      </ul>
      {warnings.length > WARNINGS_SHOWN ? (
        <details className="mt-1">
          <summary className="cursor-pointer">and {warnings.length - WARNINGS_SHOWN} more</summary>
          <ul className="list-disc pl-5">
            {warnings.slice(WARNINGS_SHOWN).map((w) => (
              <WarningItem key={key(w)} w={w} />
            ))}
          </ul>
        </details>
      ) : null}
    </Notice>
  );
}
