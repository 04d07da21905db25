CREATE TABLE "platform_default_versions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"version" integer NOT NULL,
	"enabled" boolean NOT NULL,
	"exclude_namespaces" jsonb NOT NULL,
	"author_id" text,
	"author_label" text NOT NULL,
	"message" text DEFAULT '' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "platform_default_versions" ADD CONSTRAINT "platform_default_versions_author_id_user_id_fk" FOREIGN KEY ("author_id") REFERENCES "public"."user"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "platform_default_versions_version" ON "platform_default_versions" USING btree ("version");--> statement-breakpoint
-- Versions are immutable: a change is a new version, never an UPDATE; only deleting
-- the author (ON DELETE SET NULL) may clear author_id, author_label keeps the name.
CREATE OR REPLACE FUNCTION platform_default_versions_refuse_update() RETURNS trigger AS $$
BEGIN
  IF NEW.author_id IS NULL AND OLD.author_id IS NOT NULL
     AND (to_jsonb(NEW) - 'author_id') = (to_jsonb(OLD) - 'author_id') THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'platform_default_versions are immutable: save a new version instead';
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER platform_default_versions_no_update BEFORE UPDATE ON platform_default_versions
  FOR EACH ROW EXECUTE FUNCTION platform_default_versions_refuse_update();
--> statement-breakpoint
-- Version 1: what the console always had (secure by default, every namespace), now stated.
INSERT INTO platform_default_versions (version, enabled, exclude_namespaces, author_label, message)
VALUES (1, true, '[]'::jsonb, 'system (migration)', 'Secure by default for every namespace, as the engine had it before it became a setting');
