import "server-only";
// REST for the Simulator: a dataset upload streamed to disk (the request body is never held in
// memory; the app's body limit does not apply to this route), and a run's results as CSV or JSON.
import { stringify } from "csv-stringify/sync";
import type { Hono } from "hono";
import { REPLAY_CHANGES, type ReplayChange } from "@/lib/simulator";
import { InvalidInput, NotFound } from "@/server/errors";
import { uploadDataset, type DatasetStore } from "@/server/simulator/datasets";
import { allRunPaths } from "@/server/simulator/runs";
import type { ApiEnv } from "./app";
import { serviceContext } from "./change-requests";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const CSV_COLUMNS = [
  "cluster",
  "src",
  "dst",
  "port",
  "protocol",
  "change",
  "baseline",
  "proposal",
  "flows",
  "records",
  "first_seen",
  "last_seen",
  "baseline_rationale",
  "proposal_rationale",
  "sample_lines",
];

export function replayRoutes(app: Hono<ApiEnv>, store?: DatasetStore) {
  /** Body: the file (gzip accepted). Query: name, format (auto | csv). */
  app.post("/replay/datasets", async (c) => {
    const length = c.req.header("content-length");
    const declared = length !== undefined && /^\d+$/.test(length) ? Number(length) : undefined;
    const dataset = await uploadDataset({
      ctx: serviceContext(c),
      input: { name: c.req.query("name") ?? "", format: c.req.query("format") ?? "auto" },
      body: c.req.raw.body as unknown as AsyncIterable<Uint8Array> | null,
      ...(declared !== undefined ? { declaredBytes: declared } : {}),
      ...(store ? { store } : {}),
    });
    return c.json(dataset, 201);
  });

  /** A run's rows grouped by path; `change` filters to one class. */
  app.get("/replay/runs/:id/export", async (c) => {
    const id = c.req.param("id");
    if (!UUID.test(id)) throw new NotFound("No such replay run.");
    const format = c.req.query("format") ?? "csv";
    if (format !== "csv" && format !== "json") throw new InvalidInput(`format: expected csv or json, got ${format}`, "format");
    const change = c.req.query("change");
    if (change !== undefined && !REPLAY_CHANGES.includes(change as ReplayChange))
      throw new InvalidInput(`change: expected one of ${REPLAY_CHANGES.join(", ")}`, "change");
    const { run, rows } = await allRunPaths(serviceContext(c), id, change ? { change: change as ReplayChange } : {});
    const name = `replay-${run.id.slice(0, 8)}${change ? `-${change}` : ""}.${format}`;
    c.header("content-disposition", `attachment; filename="${name}"`);
    if (format === "json") {
      const { totals, baselineLabel, proposalLabel, cluster, state } = run;
      return c.json({
        run: { id: run.id, state, cluster, baseline: baselineLabel, proposal: proposalLabel, totals },
        paths: rows.map(({ id: _id, runId: _run, ...r }) => r),
      });
    }
    const csv = stringify([
      CSV_COLUMNS,
      ...rows.map((r) => [
        r.cluster ?? "",
        r.src,
        r.dst,
        r.port,
        r.protocol,
        r.change,
        r.baseline,
        r.proposal,
        r.flows,
        r.records,
        r.firstSeen.toISOString(),
        r.lastSeen.toISOString(),
        r.baselinePath,
        r.proposalPath,
        r.sampleLines.join(" "),
      ]),
    ]);
    return c.body(csv, 200, { "content-type": "text/csv; charset=utf-8" });
  });
}
