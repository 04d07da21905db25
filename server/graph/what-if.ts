import "server-only";
// The Simulator's what-if: one flow decided by the current release and by a proposal (the pending
// drafts or a change request) at once, from the same cached per-cluster engines the graph draws with.
import { InvalidInput, NotFound } from "@/server/errors";
import type { ServiceContext } from "@/server/context";
import { redactPolicyNames } from "@/server/auth/visibility";
import { parseEndpoint } from "@/server/policy/flows";
import { rationaleJson } from "@/server/policy/eval/explain";
import type { Evaluator } from "@/server/policy/eval/evaluator";
import { parseOverlay } from "@/lib/graph/types";
import { changeOf, type Change } from "@/server/replay/replay";
import type { GraphWhatIfInput } from "./schemas";
import { viewerGraph } from "./service";
import { serverNow } from "@/server/clock";

export interface WhatIfAnswer {
  verdict: "allow" | "deny";
  /** The one-line rationale, e.g. "egress: [default] allow; ingress: [namespace] deny (ns/policy)". */
  path: string;
  rationale: Record<string, unknown>;
}

export interface WhatIfResult {
  cluster: string;
  time: string;
  release: WhatIfAnswer;
  /** Null without an overlay. */
  proposal: WhatIfAnswer | null;
  change: Change | null;
}

function decide(evaluator: Evaluator, input: GraphWhatIfInput, time: Date): WhatIfAnswer {
  const src = parseEndpoint(input.from);
  if (!src)
    throw new InvalidInput(`from: expected namespace/pod (or workload) or an IP address, got ${JSON.stringify(input.from)}`, "from");
  const dst = parseEndpoint(input.to);
  if (!dst)
    throw new InvalidInput(`to: expected namespace/pod (or workload), an IP address or a DNS name, got ${JSON.stringify(input.to)}`, "to");
  const d = evaluator.decide({ src, dst, port: input.port, protocol: input.protocol, time });
  if (!d.ok) {
    // The engine names the flow's fields; the form names them from / to.
    const field = d.error.field === "src" ? "from" : d.error.field === "dst" ? "to" : d.error.field;
    throw new InvalidInput(`${field}: ${d.error.message.slice(d.error.field.length + 2)}`, field);
  }
  const rationale = rationaleJson(d.value);
  return { verdict: d.value.verdict, path: rationale.path as string, rationale };
}

export async function graphWhatIf({ ctx, input }: { ctx: ServiceContext; input: GraphWhatIfInput }): Promise<WhatIfResult> {
  const overlay = parseOverlay(input.overlay);
  const { graph, visibility } = await viewerGraph(ctx, input.cluster, overlay);
  const time = input.time ? new Date(input.time) : serverNow();
  const base = graph.base.find((s) => s.cluster === input.cluster);
  if (!base) throw new NotFound(`No cluster ${input.cluster}.`);
  const proposed = graph.proposal?.find((s) => s.cluster === input.cluster);
  const release = decide(base.evaluator, input, time);
  const proposal = proposed ? decide(proposed.evaluator, input, time) : null;
  return redactPolicyNames(
    {
      cluster: input.cluster,
      time: time.toISOString(),
      release,
      proposal,
      change: proposal ? changeOf(release.verdict, proposal.verdict) : null,
    },
    visibility,
  );
}
