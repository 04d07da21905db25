CREATE TABLE "alert_rules" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"params" jsonb NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"updated_by_label" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "alert_rules_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "alert_silences" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"matcher" jsonb NOT NULL,
	"reason" text NOT NULL,
	"until" timestamp (3) with time zone NOT NULL,
	"created_by_id" text,
	"created_by_label" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"ended_at" timestamp (3) with time zone,
	"ended_by_label" text
);
--> statement-breakpoint
CREATE TABLE "alerts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"rule_id" uuid NOT NULL,
	"key" text NOT NULL,
	"cluster" text NOT NULL,
	"source" text,
	"destination" text NOT NULL,
	"port" integer,
	"protocol" text,
	"summary" text NOT NULL,
	"value" integer NOT NULL,
	"severity" text NOT NULL,
	"silenced_by_id" uuid,
	"fired_at" timestamp (3) with time zone NOT NULL,
	"last_seen_at" timestamp (3) with time zone NOT NULL,
	"resolved_at" timestamp (3) with time zone
);
--> statement-breakpoint
CREATE TABLE "violation_events" (
	"seq" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "violation_events_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"tx" bigint DEFAULT (pg_current_xact_id()::text::bigint) NOT NULL,
	"received_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"cluster_id" uuid NOT NULL,
	"minute" timestamp with time zone NOT NULL,
	"source" text NOT NULL,
	"source_tenant_id" uuid,
	"destination" text NOT NULL,
	"destination_tenant_id" uuid,
	"port" integer NOT NULL,
	"protocol" text NOT NULL,
	"verdict" text NOT NULL,
	"flow_class" text NOT NULL,
	"severity" text,
	"release_number" integer,
	"rationale" text NOT NULL,
	"attribution" jsonb,
	"count" integer NOT NULL,
	"first_seen" timestamp with time zone NOT NULL,
	"last_seen" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "flow_aggregates" ADD COLUMN "destination_criticality" text;--> statement-breakpoint
ALTER TABLE "flow_aggregates" ADD COLUMN "severity" text;--> statement-breakpoint
ALTER TABLE "alert_silences" ADD CONSTRAINT "alert_silences_created_by_id_user_id_fk" FOREIGN KEY ("created_by_id") REFERENCES "public"."user"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_rule_id_alert_rules_id_fk" FOREIGN KEY ("rule_id") REFERENCES "public"."alert_rules"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_silenced_by_id_alert_silences_id_fk" FOREIGN KEY ("silenced_by_id") REFERENCES "public"."alert_silences"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "violation_events" ADD CONSTRAINT "violation_events_cluster_id_clusters_id_fk" FOREIGN KEY ("cluster_id") REFERENCES "public"."clusters"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "violation_events" ADD CONSTRAINT "violation_events_source_tenant_id_tenants_id_fk" FOREIGN KEY ("source_tenant_id") REFERENCES "public"."tenants"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "violation_events" ADD CONSTRAINT "violation_events_destination_tenant_id_tenants_id_fk" FOREIGN KEY ("destination_tenant_id") REFERENCES "public"."tenants"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "alert_silences_until" ON "alert_silences" USING btree ("until");--> statement-breakpoint
CREATE UNIQUE INDEX "alerts_open_key" ON "alerts" USING btree ("rule_id","key") WHERE resolved_at IS NULL;--> statement-breakpoint
CREATE INDEX "alerts_fired" ON "alerts" USING btree ("fired_at");--> statement-breakpoint
CREATE INDEX "violation_events_cursor" ON "violation_events" USING btree ("tx","seq");--> statement-breakpoint
CREATE INDEX "violation_events_minute" ON "violation_events" USING btree ("minute");