-- The inventory's revision (migration 0028) moves only when rows really change. Its statement
-- triggers fired on every statement, even one that touched no row (an UPDATE whose WHERE matches
-- nothing, an upsert that rewrites the same values), and each move makes every cluster's desired
-- state render again (server/clusters/desired-memo.ts). Still one bump per statement, not one per
-- row (a 5,000-row insert writes the revision row once): each trigger looks at the statement's
-- transition tables (one event per trigger, as PostgreSQL requires of triggers with them).
DROP TRIGGER IF EXISTS clusters_inventory_revision ON clusters;
--> statement-breakpoint
DROP TRIGGER IF EXISTS namespaces_inventory_revision ON namespaces;
--> statement-breakpoint
DROP TRIGGER IF EXISTS workloads_inventory_revision ON workloads;
--> statement-breakpoint
DROP TRIGGER IF EXISTS services_inventory_revision ON services;
--> statement-breakpoint
DROP TRIGGER IF EXISTS external_destinations_inventory_revision ON external_destinations;
--> statement-breakpoint
CREATE FUNCTION inventory_revision_bump_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM inserted_rows) THEN
    UPDATE inventory_revision SET revision = revision + 1 WHERE id;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION inventory_revision_bump_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM deleted_rows) THEN
    UPDATE inventory_revision SET revision = revision + 1 WHERE id;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
-- An update changed something when a row after it is not among the rows before it (all columns compared).
CREATE FUNCTION inventory_revision_bump_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT * FROM rows_after EXCEPT SELECT * FROM rows_before) THEN
    UPDATE inventory_revision SET revision = revision + 1 WHERE id;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER clusters_inventory_revision_insert AFTER INSERT ON clusters REFERENCING NEW TABLE AS inserted_rows FOR EACH STATEMENT EXECUTE FUNCTION inventory_revision_bump_inserted();
--> statement-breakpoint
CREATE TRIGGER clusters_inventory_revision_update AFTER UPDATE ON clusters REFERENCING OLD TABLE AS rows_before NEW TABLE AS rows_after FOR EACH STATEMENT EXECUTE FUNCTION inventory_revision_bump_updated();
--> statement-breakpoint
CREATE TRIGGER clusters_inventory_revision_delete AFTER DELETE ON clusters REFERENCING OLD TABLE AS deleted_rows FOR EACH STATEMENT EXECUTE FUNCTION inventory_revision_bump_deleted();
--> statement-breakpoint
CREATE TRIGGER clusters_inventory_revision_truncate AFTER TRUNCATE ON clusters FOR EACH STATEMENT EXECUTE FUNCTION inventory_revision_bump();
--> statement-breakpoint
CREATE TRIGGER namespaces_inventory_revision_insert AFTER INSERT ON namespaces REFERENCING NEW TABLE AS inserted_rows FOR EACH STATEMENT EXECUTE FUNCTION inventory_revision_bump_inserted();
--> statement-breakpoint
CREATE TRIGGER namespaces_inventory_revision_update AFTER UPDATE ON namespaces REFERENCING OLD TABLE AS rows_before NEW TABLE AS rows_after FOR EACH STATEMENT EXECUTE FUNCTION inventory_revision_bump_updated();
--> statement-breakpoint
CREATE TRIGGER namespaces_inventory_revision_delete AFTER DELETE ON namespaces REFERENCING OLD TABLE AS deleted_rows FOR EACH STATEMENT EXECUTE FUNCTION inventory_revision_bump_deleted();
--> statement-breakpoint
CREATE TRIGGER namespaces_inventory_revision_truncate AFTER TRUNCATE ON namespaces FOR EACH STATEMENT EXECUTE FUNCTION inventory_revision_bump();
--> statement-breakpoint
CREATE TRIGGER workloads_inventory_revision_insert AFTER INSERT ON workloads REFERENCING NEW TABLE AS inserted_rows FOR EACH STATEMENT EXECUTE FUNCTION inventory_revision_bump_inserted();
--> statement-breakpoint
CREATE TRIGGER workloads_inventory_revision_update AFTER UPDATE ON workloads REFERENCING OLD TABLE AS rows_before NEW TABLE AS rows_after FOR EACH STATEMENT EXECUTE FUNCTION inventory_revision_bump_updated();
--> statement-breakpoint
CREATE TRIGGER workloads_inventory_revision_delete AFTER DELETE ON workloads REFERENCING OLD TABLE AS deleted_rows FOR EACH STATEMENT EXECUTE FUNCTION inventory_revision_bump_deleted();
--> statement-breakpoint
CREATE TRIGGER workloads_inventory_revision_truncate AFTER TRUNCATE ON workloads FOR EACH STATEMENT EXECUTE FUNCTION inventory_revision_bump();
--> statement-breakpoint
CREATE TRIGGER services_inventory_revision_insert AFTER INSERT ON services REFERENCING NEW TABLE AS inserted_rows FOR EACH STATEMENT EXECUTE FUNCTION inventory_revision_bump_inserted();
--> statement-breakpoint
CREATE TRIGGER services_inventory_revision_update AFTER UPDATE ON services REFERENCING OLD TABLE AS rows_before NEW TABLE AS rows_after FOR EACH STATEMENT EXECUTE FUNCTION inventory_revision_bump_updated();
--> statement-breakpoint
CREATE TRIGGER services_inventory_revision_delete AFTER DELETE ON services REFERENCING OLD TABLE AS deleted_rows FOR EACH STATEMENT EXECUTE FUNCTION inventory_revision_bump_deleted();
--> statement-breakpoint
CREATE TRIGGER services_inventory_revision_truncate AFTER TRUNCATE ON services FOR EACH STATEMENT EXECUTE FUNCTION inventory_revision_bump();
--> statement-breakpoint
CREATE TRIGGER external_destinations_inventory_revision_insert AFTER INSERT ON external_destinations REFERENCING NEW TABLE AS inserted_rows FOR EACH STATEMENT EXECUTE FUNCTION inventory_revision_bump_inserted();
--> statement-breakpoint
CREATE TRIGGER external_destinations_inventory_revision_update AFTER UPDATE ON external_destinations REFERENCING OLD TABLE AS rows_before NEW TABLE AS rows_after FOR EACH STATEMENT EXECUTE FUNCTION inventory_revision_bump_updated();
--> statement-breakpoint
CREATE TRIGGER external_destinations_inventory_revision_delete AFTER DELETE ON external_destinations REFERENCING OLD TABLE AS deleted_rows FOR EACH STATEMENT EXECUTE FUNCTION inventory_revision_bump_deleted();
--> statement-breakpoint
CREATE TRIGGER external_destinations_inventory_revision_truncate AFTER TRUNCATE ON external_destinations FOR EACH STATEMENT EXECUTE FUNCTION inventory_revision_bump();
