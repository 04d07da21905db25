CREATE TABLE "flow_aggregates" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"cluster_id" uuid NOT NULL,
	"minute" timestamp with time zone NOT NULL,
	"source" text NOT NULL,
	"source_namespace" text,
	"source_tenant_id" uuid,
	"destination" text NOT NULL,
	"destination_namespace" text,
	"destination_tenant_id" uuid,
	"port" integer NOT NULL,
	"protocol" text NOT NULL,
	"verdict" text NOT NULL,
	"flow_class" text NOT NULL,
	"engine_verdict" text,
	"release_number" integer,
	"rationale" text NOT NULL,
	"attribution" jsonb,
	"count" integer NOT NULL,
	"samples" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"first_seen" timestamp with time zone NOT NULL,
	"last_seen" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "flow_aggregates" ADD CONSTRAINT "flow_aggregates_cluster_id_clusters_id_fk" FOREIGN KEY ("cluster_id") REFERENCES "public"."clusters"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "flow_aggregates" ADD CONSTRAINT "flow_aggregates_source_tenant_id_tenants_id_fk" FOREIGN KEY ("source_tenant_id") REFERENCES "public"."tenants"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "flow_aggregates" ADD CONSTRAINT "flow_aggregates_destination_tenant_id_tenants_id_fk" FOREIGN KEY ("destination_tenant_id") REFERENCES "public"."tenants"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "flow_aggregates_key" ON "flow_aggregates" USING btree ("cluster_id","minute","source","destination","port","protocol","verdict","flow_class");--> statement-breakpoint
CREATE INDEX "flow_aggregates_minute" ON "flow_aggregates" USING btree ("minute");--> statement-breakpoint
CREATE INDEX "flow_aggregates_class_minute" ON "flow_aggregates" USING btree ("flow_class","minute") WHERE "flow_aggregates"."flow_class" <> 'allowed';