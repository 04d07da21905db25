-- The inventory's revision (migration 0028) moves only when rows really change. Its statement
-- triggers fired on every statement, even one that touched no row (an UPDATE whose WHERE matches
-- nothing, an upsert that rewrites the same values), and each move makes every cluster's desired
-- state render again (server/clusters/desired-memo.ts). Still one bump per statement, not one per
-- row (a 5,000-row insert writes the revision row once): each trigger looks at the statement's
-- transition tables (one event per trigger, as PostgreSQL requires of triggers with them).
-- Whether the statement changed rows, from the transition tables its trigger names (an update changed
-- something when a row after it is not among the rows before it, all columns compared). Each branch
-- is planned only when it runs, so each trigger's transition tables are the only ones it reads.
CREATE FUNCTION inventory_revision_bump_if_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE changed boolean;
BEGIN
  IF TG_OP = 'INSERT' THEN
    changed := EXISTS (SELECT 1 FROM inserted_rows);
  ELSIF TG_OP = 'DELETE' THEN
    changed := EXISTS (SELECT 1 FROM deleted_rows);
  ELSE
    changed := EXISTS (SELECT * FROM rows_after EXCEPT SELECT * FROM rows_before);
  END IF;
  IF changed THEN
    UPDATE inventory_revision SET revision = revision + 1 WHERE id;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
-- Per table: the statement trigger of 0028 replaced by one trigger per event (a TRUNCATE has no
-- transition table: it bumps as before).
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['clusters', 'namespaces', 'workloads', 'services', 'external_destinations'] LOOP
    EXECUTE format('DROP TRIGGER IF EXISTS %I ON %I', t || '_inventory_revision', t);
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS inserted_rows FOR EACH STATEMENT EXECUTE FUNCTION inventory_revision_bump_if_changed()', t || '_inventory_revision_insert', t);
    EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %I REFERENCING OLD TABLE AS rows_before NEW TABLE AS rows_after FOR EACH STATEMENT EXECUTE FUNCTION inventory_revision_bump_if_changed()', t || '_inventory_revision_update', t);
    EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %I REFERENCING OLD TABLE AS deleted_rows FOR EACH STATEMENT EXECUTE FUNCTION inventory_revision_bump_if_changed()', t || '_inventory_revision_delete', t);
    EXECUTE format('CREATE TRIGGER %I AFTER TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION inventory_revision_bump()', t || '_inventory_revision_truncate', t);
  END LOOP;
END $$;
