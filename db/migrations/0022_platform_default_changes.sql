CREATE TABLE "change_request_platform_defaults" (
	"change_request_id" uuid PRIMARY KEY NOT NULL,
	"from_version" integer NOT NULL,
	"enabled" boolean NOT NULL,
	"exclude_namespaces" jsonb NOT NULL
);
--> statement-breakpoint
ALTER TABLE "platform_default_versions" ADD COLUMN "release_number" integer;--> statement-breakpoint
ALTER TABLE "change_request_platform_defaults" ADD CONSTRAINT "change_request_platform_defaults_change_request_id_change_requests_id_fk" FOREIGN KEY ("change_request_id") REFERENCES "public"."change_requests"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
-- The default rule for loosening now also covers loosening the platform default (turning it off, or
-- leaving more namespaces out): say so, unless an admin has already rewritten the description.
UPDATE approval_rules SET description = 'Anything that loosens a compliance constraint or the platform default: one approver of every committee function.'
WHERE key = 'loosen-constraint' AND description = 'Anything that loosens a compliance constraint: one approver of every committee function.';
--> statement-breakpoint
-- From now on a version is written only by the release of a platform default change request, which
-- names its release: a direct write is refused by the database. NOT VALID: versions written directly
-- before this migration stay as they are.
ALTER TABLE "platform_default_versions" ADD CONSTRAINT "platform_default_versions_released"
  CHECK ("release_number" IS NOT NULL OR "version" = 1) NOT VALID;
