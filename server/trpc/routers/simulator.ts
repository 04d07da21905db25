import "server-only";
// The Simulator's datasets and replay runs (uploads go through the REST app: they stream).
import { deleteDataset, getDataset, listDatasets } from "@/server/simulator/datasets";
import { cancelRun, getRun, latestChangeRun, listRuns, runOverlay, runPaths, runSamples, startReplayRun } from "@/server/simulator/runs";
import {
  changeRunInput,
  datasetIdInput,
  runIdInput,
  runOverlayInput,
  runPathsInput,
  runSamplesInput,
  startRunInput,
} from "@/server/simulator/schemas";
import { protectedProcedure, router } from "../init";

export const simulatorRouter = router({
  datasets: protectedProcedure.query(({ ctx }) => listDatasets({ ctx: ctx.service })),
  dataset: protectedProcedure.input(datasetIdInput).query(({ ctx, input }) => getDataset({ ctx: ctx.service, input })),
  /** The uploader or an admin; refused while a run reads it. */
  deleteDataset: protectedProcedure.input(datasetIdInput).mutation(({ ctx, input }) => deleteDataset({ ctx: ctx.service, input })),
  startRun: protectedProcedure.input(startRunInput).mutation(({ ctx, input }) => startReplayRun({ ctx: ctx.service, input })),
  cancelRun: protectedProcedure.input(runIdInput).mutation(({ ctx, input }) => cancelRun({ ctx: ctx.service, input })),
  runs: protectedProcedure.query(({ ctx }) => listRuns({ ctx: ctx.service })),
  run: protectedProcedure.input(runIdInput).query(({ ctx, input }) => getRun({ ctx: ctx.service, input })),
  runPaths: protectedProcedure.input(runPathsInput).query(({ ctx, input }) => runPaths({ ctx: ctx.service, input })),
  /** The run's newly denied and newly allowed paths in one cluster (or all), for the graph's overlay. */
  runOverlay: protectedProcedure.input(runOverlayInput).query(({ ctx, input }) => runOverlay({ ctx: ctx.service, input })),
  runSamples: protectedProcedure.input(runSamplesInput).query(({ ctx, input }) => runSamples({ ctx: ctx.service, input })),
  /** A change request's latest run, for its page. */
  changeRun: protectedProcedure.input(changeRunInput).query(({ ctx, input }) => latestChangeRun({ ctx: ctx.service, input })),
});
