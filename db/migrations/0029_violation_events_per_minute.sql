ALTER TABLE "violation_events" DROP CONSTRAINT "violation_events_cluster_id_clusters_id_fk";
--> statement-breakpoint
ALTER TABLE "violation_events" DROP CONSTRAINT "violation_events_source_tenant_id_tenants_id_fk";
--> statement-breakpoint
ALTER TABLE "violation_events" DROP CONSTRAINT "violation_events_destination_tenant_id_tenants_id_fk";
--> statement-breakpoint
DROP INDEX "violation_events_minute";--> statement-breakpoint
ALTER TABLE "flow_aggregates" ADD COLUMN "emitted_count" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "flow_aggregates" ADD COLUMN "closed" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "violation_events" ADD COLUMN "aggregate_id" uuid;--> statement-breakpoint
-- Events written before: kept (collectors hold cursors into them), pointing at their aggregate;
-- one whose aggregate is gone could no longer be exported whole.
UPDATE "violation_events" ve SET "aggregate_id" = fa."id" FROM "flow_aggregates" fa
  WHERE fa."cluster_id" = ve."cluster_id" AND fa."minute" = ve."minute" AND fa."source" = ve."source"
    AND fa."destination" = ve."destination" AND fa."port" = ve."port" AND fa."protocol" = ve."protocol"
    AND fa."verdict" = ve."verdict" AND fa."flow_class" = ve."flow_class";--> statement-breakpoint
DELETE FROM "violation_events" WHERE "aggregate_id" IS NULL;--> statement-breakpoint
ALTER TABLE "violation_events" ALTER COLUMN "aggregate_id" SET NOT NULL;--> statement-breakpoint
-- Every flow stored so far was emitted by the write that stored it (one event per batch): nothing
-- left to emit. Flows that arrive later reopen their aggregate for the minute closer.
UPDATE "flow_aggregates" SET "emitted_count" = "count", "closed" = true;--> statement-breakpoint
ALTER TABLE "violation_events" ADD CONSTRAINT "violation_events_aggregate_id_flow_aggregates_id_fk" FOREIGN KEY ("aggregate_id") REFERENCES "public"."flow_aggregates"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "flow_aggregates_to_emit" ON "flow_aggregates" USING btree ("minute") WHERE "flow_aggregates"."flow_class" <> 'allowed' and not "flow_aggregates"."closed";--> statement-breakpoint
CREATE INDEX "violation_events_aggregate" ON "violation_events" USING btree ("aggregate_id");--> statement-breakpoint
ALTER TABLE "violation_events" DROP COLUMN "cluster_id";--> statement-breakpoint
ALTER TABLE "violation_events" DROP COLUMN "minute";--> statement-breakpoint
ALTER TABLE "violation_events" DROP COLUMN "source";--> statement-breakpoint
ALTER TABLE "violation_events" DROP COLUMN "source_tenant_id";--> statement-breakpoint
ALTER TABLE "violation_events" DROP COLUMN "destination";--> statement-breakpoint
ALTER TABLE "violation_events" DROP COLUMN "destination_tenant_id";--> statement-breakpoint
ALTER TABLE "violation_events" DROP COLUMN "port";--> statement-breakpoint
ALTER TABLE "violation_events" DROP COLUMN "protocol";--> statement-breakpoint
ALTER TABLE "violation_events" DROP COLUMN "verdict";--> statement-breakpoint
ALTER TABLE "violation_events" DROP COLUMN "flow_class";--> statement-breakpoint
ALTER TABLE "violation_events" DROP COLUMN "severity";--> statement-breakpoint
ALTER TABLE "violation_events" DROP COLUMN "release_number";--> statement-breakpoint
ALTER TABLE "violation_events" DROP COLUMN "rationale";--> statement-breakpoint
ALTER TABLE "violation_events" DROP COLUMN "attribution";