CREATE TABLE "cluster_drifts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"cluster_id" uuid NOT NULL,
	"object_key" text NOT NULL,
	"type" text NOT NULL,
	"kind" text NOT NULL,
	"namespace" text,
	"name" text NOT NULL,
	"diff" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"desired" jsonb,
	"observed" jsonb,
	"effect" jsonb,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "cluster_drifts_type_known" CHECK ("cluster_drifts"."type" IN ('missing', 'unmanaged', 'modified'))
);
--> statement-breakpoint
CREATE TABLE "cluster_observed" (
	"cluster_id" uuid PRIMARY KEY NOT NULL,
	"objects" jsonb NOT NULL,
	"rejected" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"source" text NOT NULL,
	"desired_release" integer,
	"uploaded_by_label" text NOT NULL,
	"uploaded_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "cluster_profiles" (
	"cluster_id" uuid PRIMARY KEY NOT NULL,
	"cni" text,
	"istio" boolean DEFAULT false NOT NULL,
	"retired_at" timestamp with time zone,
	"last_contact_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "cluster_profiles_cni_known" CHECK ("cluster_profiles"."cni" IS NULL OR "cluster_profiles"."cni" IN ('cilium', 'calico', 'other'))
);
--> statement-breakpoint
ALTER TABLE "cluster_drifts" ADD CONSTRAINT "cluster_drifts_cluster_id_clusters_id_fk" FOREIGN KEY ("cluster_id") REFERENCES "public"."clusters"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cluster_observed" ADD CONSTRAINT "cluster_observed_cluster_id_clusters_id_fk" FOREIGN KEY ("cluster_id") REFERENCES "public"."clusters"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cluster_profiles" ADD CONSTRAINT "cluster_profiles_cluster_id_clusters_id_fk" FOREIGN KEY ("cluster_id") REFERENCES "public"."clusters"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "cluster_drifts_cluster_object" ON "cluster_drifts" USING btree ("cluster_id","object_key");--> statement-breakpoint
CREATE INDEX "cluster_drifts_cluster" ON "cluster_drifts" USING btree ("cluster_id");