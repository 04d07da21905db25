ALTER TABLE "alerts" ADD COLUMN "source_tenant_id" uuid;--> statement-breakpoint
ALTER TABLE "alerts" ADD COLUMN "destination_tenant_id" uuid;--> statement-breakpoint
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_source_tenant_id_tenants_id_fk" FOREIGN KEY ("source_tenant_id") REFERENCES "public"."tenants"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_destination_tenant_id_tenants_id_fk" FOREIGN KEY ("destination_tenant_id") REFERENCES "public"."tenants"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
-- Alerts fired before this migration: their tenants from the namespaces their paths name ("namespace/workload").
UPDATE "alerts" AS a SET "destination_tenant_id" = n."tenant_id"
  FROM "namespaces" AS n JOIN "clusters" AS c ON c."id" = n."cluster_id"
  WHERE c."name" = a."cluster" AND position('/' in a."destination") > 0 AND n."name" = split_part(a."destination", '/', 1);--> statement-breakpoint
UPDATE "alerts" AS a SET "source_tenant_id" = n."tenant_id"
  FROM "namespaces" AS n JOIN "clusters" AS c ON c."id" = n."cluster_id"
  WHERE a."source" IS NOT NULL AND c."name" = a."cluster" AND position('/' in a."source") > 0 AND n."name" = split_part(a."source", '/', 1);
