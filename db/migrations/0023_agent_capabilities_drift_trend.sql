CREATE TABLE "cluster_drift_points" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"cluster_id" uuid NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"missing" integer NOT NULL,
	"unmanaged" integer NOT NULL,
	"modified" integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE "cluster_profiles" ADD COLUMN "admin_policy_api" text;--> statement-breakpoint
ALTER TABLE "cluster_profiles" ADD COLUMN "capabilities_reported_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "cluster_drift_points" ADD CONSTRAINT "cluster_drift_points_cluster_id_clusters_id_fk" FOREIGN KEY ("cluster_id") REFERENCES "public"."clusters"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "cluster_drift_points_cluster_at" ON "cluster_drift_points" USING btree ("cluster_id","at");--> statement-breakpoint
ALTER TABLE "cluster_profiles" ADD CONSTRAINT "cluster_profiles_admin_policy_api_known" CHECK ("cluster_profiles"."admin_policy_api" IS NULL OR "cluster_profiles"."admin_policy_api" IN ('v1alpha1', 'v1alpha2', 'none'));