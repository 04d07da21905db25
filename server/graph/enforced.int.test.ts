// Console = cluster for the demo organisation: for every pair of workloads (drawn edge or not)
// and every port the graph probes, the objects compiled for the cluster, read back and
// evaluated with plain Kubernetes semantics, allow exactly what the graph draws. An integration
// test over the graph service and the compiler (a browser adds nothing to this comparison).
import { describe, expect, it } from "vitest";
import { testDatabaseKind } from "@/db/testing";
import { platformDefaultInForce } from "@/server/platform-default/get";
import { asLocated } from "@/server/drafts/engine";
import { releasedDocuments } from "@/server/drafts/documents";
import { loadTargets } from "@/server/changes/release-lint";
import { compileDocuments, toYaml, type CompileTarget } from "@/server/policy/compile/compile";
import { createEvaluator } from "@/server/policy/eval/evaluator";
import { readManifestSources } from "@/server/policy/read/manifests";
import { useSeededDatabase } from "@/server/testing/database";
import { probePort } from "./build";
import { parseNodeId } from "@/lib/graph/ids";
import { loadGraph } from "./service";

describe(`the demo organisation's graph and its compiled objects on ${testDatabaseKind()}`, () => {
  const database = useSeededDatabase();

  for (const target of ["anp", "cnp-v1alpha2"] as CompileTarget[]) {
    it(`agree on every drawn and undrawn workload pair and probed port (target ${target})`, async () => {
      const db = database().db;
      const now = new Date();
      const [released, targets, setting] = await Promise.all([releasedDocuments(db), loadTargets(db), platformDefaultInForce(db)]);
      let compared = 0;
      let drawnPairs = 0;
      for (const cluster of targets) {
        const { graph } = await loadGraph(db, cluster.name, { kind: "release" }, null, now);
        const platform = graph.base[0]!.evaluator;
        const compiled = compileDocuments(released.map(asLocated), cluster, { target, now, platformDefault: setting });
        expect(compiled.errors.map((e) => e.message)).toEqual([]);
        const k8s = createEvaluator(
          cluster.model,
          readManifestSources([{ file: `${cluster.name}.yaml`, text: toYaml(compiled.objects) }]).policies,
        );
        const firstPod = new Map<string, { namespace: string; name: string; ports: string[] }>();
        for (const e of platform.podEntries) {
          const w = e.pod.workload ?? { kind: "Pod", name: e.pod.name };
          const key = `${e.pod.namespace}/${w.kind}/${w.name}`;
          if (!firstPod.has(key))
            firstPod.set(key, { namespace: e.pod.namespace, name: e.pod.name, ports: e.pod.ports.map((p) => `${p.port}/${p.protocol}`) });
        }
        const generic = [...new Set(platform.rulePorts().map((r) => `${r.port}/${r.protocol}`)), "*/TCP", "*/UDP", "*/SCTP"];
        const workloads = graph.data.nodes.filter((n) => n.kind === "workload");
        const drawn = new Map(graph.data.edges.filter((e) => !e.fronts).map((e) => [`${e.source}|${e.target}`, new Set(e.ports)]));
        const mismatches: string[] = [];
        for (const s of workloads) {
          const src = parseNodeId(s.id)!;
          const srcPod = firstPod.get(`${src.namespace}/${src.workloadKind}/${src.name}`)!;
          for (const d of workloads) {
            const dst = parseNodeId(d.id)!;
            const dstPod = firstPod.get(`${dst.namespace}/${dst.workloadKind}/${dst.name}`)!;
            const ports = drawn.get(`${s.id}|${d.id}`);
            if (ports) drawnPairs++;
            // The graph's probes (reachability): a destination's declared ports; without any, the rules' ports and every other port.
            for (const label of dstPod.ports.length > 0 ? dstPod.ports : generic) {
              const probe = probePort(label, platform)!;
              const decision = k8s.decide({
                src: { kind: "pod", namespace: srcPod.namespace, name: srcPod.name },
                dst: { kind: "pod", namespace: dstPod.namespace, name: dstPod.name },
                ...probe,
                time: now,
              });
              expect(decision.ok).toBe(true);
              const clusterAllows = decision.ok && decision.value.verdict === "allow";
              const graphDraws = ports?.has(label) ?? false;
              compared++;
              if (clusterAllows !== graphDraws)
                mismatches.push(
                  `${cluster.name}: ${s.id} -> ${d.id} ${label}: graph ${graphDraws ? "draws" : "does not draw"} it, cluster ${clusterAllows ? "allows" : "denies"}`,
                );
            }
          }
        }
        expect(mismatches).toEqual([]);
      }
      expect(drawnPairs).toBeGreaterThan(0);
      expect(compared).toBeGreaterThan(1000);
    });
  }
});
