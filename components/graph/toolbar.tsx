"use client";

// Below the filters: the layer legend (each layer can be hidden), the overlay
// legend, the canvas actions (drafts overlay, draw, fit, export) and the
// figures of what is shown.
import type { ReactNode } from "react";
import { Button } from "@/components/ui/primitives";
import type { AllowanceLayer } from "@/lib/graph/types";
import type { CanvasFilters } from "./filters";
import { CHANGE_COLOURS, LAYER_COLOURS, LAYER_NAMES, OBSERVED_DENIAL_COLOUR, VIA_COLOUR } from "./stylesheet";

export interface ToolbarProps {
  filters: CanvasFilters;
  onFilters(change: Partial<CanvasFilters>): void;
  overlay: string | undefined;
  /** The drafts overlay's link (or the way back to the release). */
  overlayHref: string;
  drawMode: boolean;
  onDrawMode(on: boolean): void;
  onFit(): void;
  onExportPng(): void;
  onExportSvg(): void;
  /** Observed denied flows of the last 24 h drawn as red edges (the URL's `denials=24h`). */
  denials: boolean;
  onDenials(on: boolean): void;
  /** The figures line under the actions (absent until the view arrives). */
  stats: ReactNode;
}

export function Toolbar(props: ToolbarProps) {
  const { filters, onFilters, overlay } = props;
  return (
    <fieldset className="flex flex-wrap items-center gap-x-4 gap-y-1 px-1 text-xs text-slate-600">
      <legend className="sr-only">Layers</legend>
      <span className="font-medium text-slate-700">Layers:</span>
      {(Object.keys(filters.layers) as AllowanceLayer[]).map((l) => (
        <label key={l} className="flex items-center gap-1.5">
          <input
            type="checkbox"
            checked={filters.layers[l]}
            onChange={(e) => onFilters({ layers: { ...filters.layers, [l]: e.target.checked } })}
            aria-label={`Layer ${LAYER_NAMES[l]}`}
          />
          <span
            className="inline-block h-0.5 w-5"
            style={{ background: LAYER_COLOURS[l], borderTop: l === "exception" ? `2px dashed ${LAYER_COLOURS[l]}` : undefined }}
          />
          {LAYER_NAMES[l]}
        </label>
      ))}
      <span className="flex items-center gap-1.5" title="Forwarded by an egress gateway (via): mesh routing, not a policy decision">
        <span className="inline-block h-0.5 w-5" style={{ background: VIA_COLOUR }} />
        Gateway route
      </span>
      {overlay ? (
        <>
          <span className="flex items-center gap-1.5">
            <span className="inline-block h-1 w-5" style={{ background: CHANGE_COLOURS.added }} />
            added by the change
          </span>
          <span className="flex items-center gap-1.5">
            <span className="inline-block h-1 w-5" style={{ background: CHANGE_COLOURS.removed }} />
            removed by the change
          </span>
        </>
      ) : null}
      <label className="flex items-center gap-1.5">
        <input type="checkbox" checked={filters.showExternal} onChange={(e) => onFilters({ showExternal: e.target.checked })} />
        External destinations
      </label>
      <label className="flex items-center gap-1.5">
        <input type="checkbox" checked={props.denials} onChange={(e) => props.onDenials(e.target.checked)} />
        <span className="inline-block h-0.5 w-4" style={{ background: OBSERVED_DENIAL_COLOUR }} aria-hidden />
        Observed denials (24h)
      </label>
      <div className="ml-auto flex gap-2">
        {/* The drafts overlay, reachable from here and not only by typing its URL. */}
        <a
          href={props.overlayHref}
          className="inline-flex items-center rounded-lg bg-white px-3 py-1.5 text-sm font-medium text-slate-800 ring-1 ring-inset ring-slate-300 hover:bg-slate-50"
        >
          {overlay ? "Back to the release" : "Show pending drafts"}
        </a>
        <Button
          type="button"
          variant={props.drawMode ? "primary" : "secondary"}
          aria-pressed={props.drawMode}
          onClick={() => props.onDrawMode(!props.drawMode)}
          title="Drag (or click, then click) from a workload to another node to draft an allow rule"
        >
          {props.drawMode ? "Drawing: pick two nodes" : "Draw a path"}
        </Button>
        <Button type="button" variant="secondary" onClick={props.onFit}>
          Fit
        </Button>
        <Button type="button" variant="secondary" onClick={props.onExportPng}>
          PNG
        </Button>
        <Button type="button" variant="secondary" onClick={props.onExportSvg}>
          SVG
        </Button>
      </div>
      {props.stats}
    </fieldset>
  );
}
