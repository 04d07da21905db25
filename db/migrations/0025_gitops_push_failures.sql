CREATE TABLE "gitops_remotes" (
	"url" text PRIMARY KEY NOT NULL,
	"failing_since" timestamp with time zone,
	"error" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "release_cluster_rollouts" ADD COLUMN "failed_by" text;--> statement-breakpoint
ALTER TABLE "release_cluster_rollouts" ADD CONSTRAINT "release_cluster_rollouts_failed_by_known" CHECK ("release_cluster_rollouts"."failed_by" IS NULL OR ("release_cluster_rollouts"."status" = 'failed' AND "release_cluster_rollouts"."failed_by" IN ('compile', 'cluster', 'gitops-push')));