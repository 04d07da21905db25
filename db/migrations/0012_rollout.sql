CREATE TABLE "change_request_rollbacks" (
	"change_request_id" uuid PRIMARY KEY NOT NULL,
	"target_release" integer NOT NULL,
	"base_release" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "emergency_reviews" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"release_id" uuid NOT NULL,
	"reason" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"acknowledged_by_id" text,
	"acknowledged_by_label" text,
	"acknowledged_at" timestamp with time zone,
	"note" text
);
--> statement-breakpoint
CREATE TABLE "release_cluster_rollouts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"release_id" uuid NOT NULL,
	"cluster_id" uuid,
	"cluster_name" text NOT NULL,
	"wave" integer NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"message" text,
	"rendered_objects" integer,
	"rendered_hash" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "release_cluster_rollouts_status_known" CHECK ("release_cluster_rollouts"."status" IN ('pending', 'rendered', 'applied', 'failed'))
);
--> statement-breakpoint
CREATE TABLE "release_rollouts" (
	"release_id" uuid PRIMARY KEY NOT NULL,
	"current_wave" integer DEFAULT 0 NOT NULL,
	"waves" integer NOT NULL,
	"paused_at" timestamp with time zone,
	"paused_by_label" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "releases" ADD COLUMN "rollback_to" integer;--> statement-breakpoint
ALTER TABLE "change_request_rollbacks" ADD CONSTRAINT "change_request_rollbacks_change_request_id_change_requests_id_fk" FOREIGN KEY ("change_request_id") REFERENCES "public"."change_requests"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "emergency_reviews" ADD CONSTRAINT "emergency_reviews_release_id_releases_id_fk" FOREIGN KEY ("release_id") REFERENCES "public"."releases"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "emergency_reviews" ADD CONSTRAINT "emergency_reviews_acknowledged_by_id_user_id_fk" FOREIGN KEY ("acknowledged_by_id") REFERENCES "public"."user"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "release_cluster_rollouts" ADD CONSTRAINT "release_cluster_rollouts_release_id_releases_id_fk" FOREIGN KEY ("release_id") REFERENCES "public"."releases"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "release_cluster_rollouts" ADD CONSTRAINT "release_cluster_rollouts_cluster_id_clusters_id_fk" FOREIGN KEY ("cluster_id") REFERENCES "public"."clusters"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "release_rollouts" ADD CONSTRAINT "release_rollouts_release_id_releases_id_fk" FOREIGN KEY ("release_id") REFERENCES "public"."releases"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "emergency_reviews_release" ON "emergency_reviews" USING btree ("release_id");--> statement-breakpoint
CREATE UNIQUE INDEX "release_cluster_rollouts_release_cluster" ON "release_cluster_rollouts" USING btree ("release_id","cluster_name");