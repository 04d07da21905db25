-- Deleting a user sets policy_versions.author_id to NULL (ON DELETE SET NULL),
-- which is an UPDATE. Let exactly that through: author_label keeps the name, and
-- every other column must stay as it was.
CREATE OR REPLACE FUNCTION policy_versions_refuse_update() RETURNS trigger AS $$
BEGIN
  IF NEW.author_id IS NULL AND OLD.author_id IS NOT NULL
     AND (to_jsonb(NEW) - 'author_id') = (to_jsonb(OLD) - 'author_id') THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'policy_versions are immutable: save a new version instead';
END;
$$ LANGUAGE plpgsql;
