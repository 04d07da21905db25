// The REST API's reference as a page: every route of server/api/openapi.ts with who may call it and
// its request and reply fields, read from the same JSON Schemas the OpenAPI document carries.
import { Badge, Card } from "@/components/ui/primitives";
import type { RouteReference } from "@/server/api/openapi";

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  additionalProperties?: JsonSchema | boolean;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  format?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  default?: unknown;
  description?: string;
};

interface FieldRow {
  name: string;
  type: string;
  required: boolean;
  notes: string;
}

function typeOf(s: JsonSchema): string {
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(" | ");
  if (s.anyOf) return s.anyOf.map(typeOf).join(" | ");
  if (s.type === "array") return `${s.items ? typeOf(s.items) : "any"}[]`;
  if (s.type === "object" && !s.properties && s.additionalProperties && typeof s.additionalProperties === "object")
    return `map of ${typeOf(s.additionalProperties)}`;
  const t = Array.isArray(s.type) ? s.type.join(" | ") : (s.type ?? "any");
  return s.format ? `${t} (${s.format})` : t;
}

function notesOf(s: JsonSchema): string {
  const notes: string[] = [];
  if (s.description) notes.push(s.description.replace(/\.?$/, "."));
  // zod's integers carry the safe-integer bounds: only bounds a person chose are worth a note.
  const min = s.minimum !== undefined && s.minimum > Number.MIN_SAFE_INTEGER ? s.minimum : undefined;
  const max = s.maximum !== undefined && s.maximum < Number.MAX_SAFE_INTEGER ? s.maximum : undefined;
  if (min !== undefined && max !== undefined) notes.push(`${min}–${max}.`);
  else if (min !== undefined) notes.push(`At least ${min}.`);
  else if (max !== undefined) notes.push(`At most ${max}.`);
  if (s.maxLength !== undefined) notes.push(`At most ${s.maxLength} characters.`);
  if (s.default !== undefined) notes.push(`Default ${JSON.stringify(s.default)}.`);
  return notes.join(" ");
}

/** The fields of an object schema, nested ones with dotted names (arrays of objects as `name[].field`). */
function fieldsOf(s: JsonSchema, prefix = "", depth = 0): FieldRow[] {
  const rows: FieldRow[] = [];
  for (const [key, prop] of Object.entries(s.properties ?? {})) {
    const name = `${prefix}${key}`;
    rows.push({ name, type: typeOf(prop), required: s.required?.includes(key) ?? false, notes: notesOf(prop) });
    if (depth < 3 && prop.properties) rows.push(...fieldsOf(prop, `${name}.`, depth + 1));
    if (depth < 3 && prop.type === "array" && prop.items?.properties) rows.push(...fieldsOf(prop.items, `${name}[].`, depth + 1));
  }
  return rows;
}

function Fields({ schema, label }: { schema: JsonSchema; label: string }) {
  const rows = fieldsOf(schema);
  return (
    <div className="mt-3">
      <h4 className="text-xs font-semibold uppercase tracking-wide text-slate-500">{label}</h4>
      {rows.length === 0 ? (
        <p className="mt-1 text-sm text-slate-600">{typeOf(schema)}</p>
      ) : (
        <table className="mt-1 w-full text-left text-sm" aria-label={label}>
          <thead>
            <tr className="border-b border-slate-200 text-xs text-slate-500">
              <th className="py-1 pr-3 font-medium">Field</th>
              <th className="py-1 pr-3 font-medium">Type</th>
              <th className="py-1 font-medium">Notes</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.name} className="border-b border-slate-100 align-top">
                <td className="py-1 pr-3 font-mono text-xs text-slate-900">
                  {r.name}
                  {r.required ? (
                    <span className="text-rose-600" title="required">
                      {" "}
                      *
                    </span>
                  ) : null}
                </td>
                <td className="max-w-xs break-words py-1 pr-3 font-mono text-xs text-slate-700">{r.type}</td>
                <td className="py-1 text-xs text-slate-600">{r.notes}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <details className="mt-1">
        <summary className="cursor-pointer text-xs text-brand-700">JSON Schema</summary>
        <pre className="mt-1 max-h-80 overflow-auto rounded bg-slate-50 p-2 text-xs text-slate-700">{JSON.stringify(schema, null, 2)}</pre>
      </details>
    </div>
  );
}

function Route({ route }: { route: RouteReference }) {
  return (
    <Card
      id={route.anchor}
      title={
        <span className="flex items-center gap-2">
          <Badge tone={route.method === "get" ? "blue" : "green"}>{route.method.toUpperCase()}</Badge>
          <code className="font-mono text-sm">{route.path}</code>
        </span>
      }
      actions={route.scope ? <Badge tone="violet">scope: {route.scope}</Badge> : route.public ? <Badge>public</Badge> : null}
    >
      <p className="text-sm font-medium text-slate-900">{route.summary}</p>
      {route.description ? <p className="mt-1 text-sm text-slate-600">{route.description}</p> : null}
      <p className="mt-2 text-sm text-slate-600">
        <span className="font-medium text-slate-700">Who may call it:</span> {route.authText}
      </p>
      {route.parameters ? <Fields label="Parameters" schema={route.parameters as JsonSchema} /> : null}
      {route.body ? (
        <Fields label={`Request body${route.body.required ? "" : " (optional)"}`} schema={route.body.schema as JsonSchema} />
      ) : null}
      <div className="mt-3">
        <h4 className="text-xs font-semibold uppercase tracking-wide text-slate-500">Responses</h4>
        <ul className="mt-1 space-y-1 text-sm">
          {route.responses.map((r) => (
            <li key={r.status}>
              <Badge tone={r.status.startsWith("2") ? "green" : r.status === "503" ? "amber" : "red"}>{r.status}</Badge>{" "}
              <span className="text-slate-700">{r.description}</span>
            </li>
          ))}
        </ul>
        {route.responses
          .filter((r) => r.status.startsWith("2") && r.schema)
          .map((r) => (
            <Fields key={r.status} label={`Reply ${r.status}`} schema={r.schema as JsonSchema} />
          ))}
      </div>
    </Card>
  );
}

/** `routes`: server/api/openapi.ts's routeReferences(), computed by the page. */
export function ApiReference({ routes }: { routes: RouteReference[] }) {
  return (
    <div className="space-y-6">
      <Card title="Routes">
        <ul className="grid gap-1 text-sm sm:grid-cols-2">
          {routes.map((r) => (
            <li key={r.anchor}>
              <a href={`#${r.anchor}`} className="font-mono text-xs text-brand-700 hover:underline">
                {r.method.toUpperCase()} {r.path}
              </a>{" "}
              <span className="text-slate-600">— {r.summary}</span>
            </li>
          ))}
        </ul>
      </Card>
      {routes.map((r) => (
        <Route key={r.anchor} route={r} />
      ))}
    </div>
  );
}
