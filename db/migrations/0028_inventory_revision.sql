CREATE TABLE "inventory_revision" (
	"id" boolean PRIMARY KEY DEFAULT true NOT NULL,
	"revision" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "inventory_revision_one_row" CHECK ("inventory_revision"."id")
);
--> statement-breakpoint
INSERT INTO "inventory_revision" ("id", "revision") VALUES (true, 0);
--> statement-breakpoint
CREATE FUNCTION inventory_revision_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE inventory_revision SET revision = revision + 1 WHERE id;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER clusters_inventory_revision AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON clusters FOR EACH STATEMENT EXECUTE FUNCTION inventory_revision_bump();
--> statement-breakpoint
CREATE TRIGGER namespaces_inventory_revision AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON namespaces FOR EACH STATEMENT EXECUTE FUNCTION inventory_revision_bump();
--> statement-breakpoint
CREATE TRIGGER workloads_inventory_revision AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON workloads FOR EACH STATEMENT EXECUTE FUNCTION inventory_revision_bump();
--> statement-breakpoint
CREATE TRIGGER services_inventory_revision AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON services FOR EACH STATEMENT EXECUTE FUNCTION inventory_revision_bump();
--> statement-breakpoint
CREATE TRIGGER external_destinations_inventory_revision AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON external_destinations FOR EACH STATEMENT EXECUTE FUNCTION inventory_revision_bump();
