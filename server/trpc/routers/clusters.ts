import "server-only";
import { getClusterDrift, getDriftTrend, listClusterOverview } from "@/server/clusters/list";
import { exportGitOps } from "@/server/clusters/gitops";
import { editCluster, registerCluster, retireCluster } from "@/server/clusters/manage";
import { uploadObserved } from "@/server/clusters/observed";
import { adoptDrift, importCluster } from "@/server/clusters/adopt";
import {
  adoptDriftInput,
  clusterNameInput,
  driftTrendInput,
  editClusterInput,
  registerClusterInput,
  uploadObservedInput,
} from "@/server/clusters/schemas";
import { issueWebhookCertificateInput, setAdmissionModeInput, webhookConfigurationInput } from "@/server/admission/schemas";
import {
  downloadWebhookSecret,
  getWebhookStatus,
  issueWebhookCertificate,
  setAdmissionMode,
  webhookConfiguration,
} from "@/server/admission/webhook";
import { adminProcedure, protectedProcedure, router } from "../init";

export const clustersRouter = router({
  overview: protectedProcedure.query(({ ctx }) => listClusterOverview({ ctx: ctx.service })),
  drift: protectedProcedure.input(clusterNameInput).query(({ ctx, input }) => getClusterDrift({ ctx: ctx.service, input })),
  driftTrend: protectedProcedure.input(driftTrendInput).query(({ ctx, input }) => getDriftTrend({ ctx: ctx.service, input })),
  register: adminProcedure.input(registerClusterInput).mutation(({ ctx, input }) => registerCluster({ ctx: ctx.service, input })),
  edit: adminProcedure.input(editClusterInput).mutation(({ ctx, input }) => editCluster({ ctx: ctx.service, input })),
  retire: adminProcedure.input(clusterNameInput).mutation(({ ctx, input }) => retireCluster({ ctx: ctx.service, input })),
  uploadObserved: adminProcedure
    .input(uploadObservedInput)
    .mutation(({ ctx, input }) => uploadObserved({ ctx: ctx.service, input, source: "upload" })),
  /** Authors (their tenant's objects) turn a drift, or a brownfield cluster's policies, into a draft change request. */
  adoptDrift: protectedProcedure.input(adoptDriftInput).mutation(({ ctx, input }) => adoptDrift({ ctx: ctx.service, input })),
  importCluster: protectedProcedure.input(clusterNameInput).mutation(({ ctx, input }) => importCluster({ ctx: ctx.service, input })),
  exportGitOps: adminProcedure.mutation(({ ctx }) => exportGitOps({ ctx: ctx.service })),
  /** The admission webhook: mode and certificate status (no key material). */
  webhook: protectedProcedure.input(clusterNameInput).query(({ ctx, input }) => getWebhookStatus({ ctx: ctx.service, input })),
  setAdmissionMode: adminProcedure.input(setAdmissionModeInput).mutation(({ ctx, input }) => setAdmissionMode({ ctx: ctx.service, input })),
  issueWebhookCertificate: adminProcedure
    .input(issueWebhookCertificateInput)
    .mutation(({ ctx, input }) => issueWebhookCertificate({ ctx: ctx.service, input })),
  webhookConfiguration: adminProcedure
    .input(webhookConfigurationInput)
    .query(({ ctx, input }) => webhookConfiguration({ ctx: ctx.service, input })),
  /** The serving certificate's key leaves only here: admins, audited. */
  downloadWebhookSecret: adminProcedure
    .input(clusterNameInput)
    .mutation(({ ctx, input }) => downloadWebhookSecret({ ctx: ctx.service, input })),
});
