-- Policy versions are immutable: an edit is a new version, never an UPDATE.
CREATE OR REPLACE FUNCTION policy_versions_refuse_update() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'policy_versions are immutable: save a new version instead';
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER policy_versions_no_update BEFORE UPDATE ON policy_versions
  FOR EACH ROW EXECUTE FUNCTION policy_versions_refuse_update();
