CREATE TABLE "cluster_admission" (
	"cluster_id" uuid PRIMARY KEY NOT NULL,
	"mode" text NOT NULL,
	"updated_by" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "decision_log" (
	"decision_id" uuid PRIMARY KEY NOT NULL,
	"decided_at" timestamp with time zone NOT NULL,
	"cluster" text NOT NULL,
	"release" integer,
	"decision" text NOT NULL,
	"source" text NOT NULL,
	"destination" text NOT NULL,
	"port" integer NOT NULL,
	"protocol" text NOT NULL,
	"input" jsonb NOT NULL,
	"reasons" jsonb NOT NULL,
	"caller" text NOT NULL,
	"dry_run_change_request" integer,
	"cached" boolean NOT NULL,
	"stale" boolean DEFAULT false NOT NULL,
	"micros" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "decision_log_settings" (
	"id" integer PRIMARY KEY DEFAULT 1 NOT NULL,
	"sample_rate" double precision DEFAULT 0 NOT NULL,
	"always_log_denies" boolean DEFAULT false NOT NULL,
	"retention_days" integer DEFAULT 14 NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"updated_by" text DEFAULT 'system' NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "decision_log_settings_rate" CHECK ("decision_log_settings"."sample_rate" >= 0 AND "decision_log_settings"."sample_rate" <= 1),
	CONSTRAINT "decision_log_settings_retention" CHECK ("decision_log_settings"."retention_days" >= 1)
);
--> statement-breakpoint
CREATE TABLE "webhook_certificates" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"cluster_id" uuid NOT NULL,
	"service_name" text NOT NULL,
	"service_namespace" text NOT NULL,
	"ca_cert_pem" text NOT NULL,
	"ca_key_sealed" text NOT NULL,
	"ca_not_after" timestamp with time zone NOT NULL,
	"cert_pem" text NOT NULL,
	"key_sealed" text NOT NULL,
	"key_id" text NOT NULL,
	"serial" text NOT NULL,
	"not_before" timestamp with time zone NOT NULL,
	"not_after" timestamp with time zone NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"downloaded_at" timestamp with time zone,
	"superseded_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "cluster_admission" ADD CONSTRAINT "cluster_admission_cluster_id_clusters_id_fk" FOREIGN KEY ("cluster_id") REFERENCES "public"."clusters"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_certificates" ADD CONSTRAINT "webhook_certificates_cluster_id_clusters_id_fk" FOREIGN KEY ("cluster_id") REFERENCES "public"."clusters"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "decision_log_time" ON "decision_log" USING btree ("decided_at");--> statement-breakpoint
CREATE INDEX "decision_log_cluster_time" ON "decision_log" USING btree ("cluster","decided_at");--> statement-breakpoint
CREATE INDEX "webhook_certificates_cluster" ON "webhook_certificates" USING btree ("cluster_id","created_at");