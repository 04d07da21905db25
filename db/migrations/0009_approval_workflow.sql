CREATE TABLE "approval_rules" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"key" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"match" jsonb NOT NULL,
	"requirements" jsonb NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"updated_by" text DEFAULT 'system' NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "change_request_approvals" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"change_request_id" uuid NOT NULL,
	"approver_id" text,
	"approver_label" text NOT NULL,
	"functions" jsonb NOT NULL,
	"content_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"voided_at" timestamp with time zone,
	"voided_reason" text
);
--> statement-breakpoint
CREATE TABLE "release_entries" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"release_id" uuid NOT NULL,
	"policy_id" uuid NOT NULL,
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"tier" text NOT NULL,
	"tenant_id" uuid,
	"version" integer NOT NULL,
	"previous_version" integer,
	"content_hash" text NOT NULL,
	"changed" boolean NOT NULL
);
--> statement-breakpoint
CREATE TABLE "releases" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"number" integer NOT NULL,
	"change_request_id" uuid,
	"change_request_number" integer,
	"title" text NOT NULL,
	"policy_set_hash" text NOT NULL,
	"exception_ids" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created_by_id" text,
	"created_by_label" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"emergency_reason" text
);
--> statement-breakpoint
DROP INDEX "change_request_items_open_version";--> statement-breakpoint
-- "open" becomes "in-review" (the items follow through their cascading foreign key).
UPDATE "change_requests" SET "state" = 'in-review' WHERE "state" = 'open';--> statement-breakpoint
ALTER TABLE "change_request_items" ALTER COLUMN "state" SET DEFAULT 'in-review';--> statement-breakpoint
ALTER TABLE "change_requests" ALTER COLUMN "state" SET DEFAULT 'in-review';--> statement-breakpoint
ALTER TABLE "change_request_approvals" ADD CONSTRAINT "change_request_approvals_change_request_id_change_requests_id_fk" FOREIGN KEY ("change_request_id") REFERENCES "public"."change_requests"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "change_request_approvals" ADD CONSTRAINT "change_request_approvals_approver_id_user_id_fk" FOREIGN KEY ("approver_id") REFERENCES "public"."user"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "release_entries" ADD CONSTRAINT "release_entries_release_id_releases_id_fk" FOREIGN KEY ("release_id") REFERENCES "public"."releases"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "release_entries" ADD CONSTRAINT "release_entries_policy_id_policies_id_fk" FOREIGN KEY ("policy_id") REFERENCES "public"."policies"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "releases" ADD CONSTRAINT "releases_change_request_id_change_requests_id_fk" FOREIGN KEY ("change_request_id") REFERENCES "public"."change_requests"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "releases" ADD CONSTRAINT "releases_created_by_id_user_id_fk" FOREIGN KEY ("created_by_id") REFERENCES "public"."user"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "approval_rules_key" ON "approval_rules" USING btree ("key");--> statement-breakpoint
CREATE INDEX "change_request_approvals_cr" ON "change_request_approvals" USING btree ("change_request_id");--> statement-breakpoint
CREATE UNIQUE INDEX "change_request_approvals_one_per_person" ON "change_request_approvals" USING btree ("change_request_id","approver_id") WHERE voided_at IS NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "release_entries_release_policy" ON "release_entries" USING btree ("release_id","policy_id");--> statement-breakpoint
CREATE INDEX "release_entries_policy" ON "release_entries" USING btree ("policy_id");--> statement-breakpoint
CREATE UNIQUE INDEX "releases_number" ON "releases" USING btree ("number");--> statement-breakpoint
CREATE UNIQUE INDEX "releases_change_request" ON "releases" USING btree ("change_request_id");--> statement-breakpoint
CREATE UNIQUE INDEX "change_request_items_open_version" ON "change_request_items" USING btree ("policy_id","to_version") WHERE state IN ('draft', 'in-review', 'changes-requested', 'approved');--> statement-breakpoint
ALTER TABLE "change_requests" ADD CONSTRAINT "change_requests_state_known" CHECK ("change_requests"."state" IN ('draft', 'in-review', 'changes-requested', 'approved', 'released', 'rolled-out', 'rejected', 'withdrawn'));
--> statement-breakpoint
-- Releases are immutable snapshots: never updated or deleted. Only deleting the
-- person who released (ON DELETE SET NULL) may clear created_by_id.
CREATE OR REPLACE FUNCTION releases_refuse_change() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND TG_TABLE_NAME = 'releases' AND NEW.created_by_id IS NULL AND OLD.created_by_id IS NOT NULL
     AND (to_jsonb(NEW) - 'created_by_id') = (to_jsonb(OLD) - 'created_by_id') THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION '% is immutable: a release is never changed (% refused); roll back with a new release instead', TG_TABLE_NAME, TG_OP;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER releases_immutable BEFORE UPDATE OR DELETE ON releases FOR EACH ROW EXECUTE FUNCTION releases_refuse_change();
--> statement-breakpoint
CREATE TRIGGER release_entries_immutable BEFORE UPDATE OR DELETE ON release_entries FOR EACH ROW EXECUTE FUNCTION releases_refuse_change();
--> statement-breakpoint
-- The default approval rules (issue 13), which admins may edit. cluster-and-baseline is not in the
-- issue: without it a cluster or baseline policy edit would match no rule and could never be approved.
INSERT INTO approval_rules (key, description, match, requirements) VALUES
  ('namespace-tier', 'A namespace-tier change: one approver of the owning tenant''s committee function (application) and one from security.',
   '{"tiers":["namespace"],"kinds":["Policy"]}'::jsonb,
   '[{"function":"application","count":1,"scope":"owning-tenant"},{"function":"security","count":1,"scope":"organisation"}]'::jsonb),
  ('global-regional-tier', 'A global or regional tier change (compliance constraints are global): two from security and one from networking.',
   '{"tiers":["global","regional"]}'::jsonb,
   '[{"function":"security","count":2,"scope":"organisation"},{"function":"networking","count":1,"scope":"organisation"}]'::jsonb),
  ('cluster-baseline-tier', 'A cluster or baseline tier change: one from security and one from platform.',
   '{"tiers":["cluster","baseline"]}'::jsonb,
   '[{"function":"security","count":1,"scope":"organisation"},{"function":"platform","count":1,"scope":"organisation"}]'::jsonb),
  ('loosen-constraint', 'Anything that loosens a compliance constraint: one approver of every committee function.',
   '{"loosensConstraint":true}'::jsonb,
   '[{"function":"security","count":1,"scope":"organisation"},{"function":"networking","count":1,"scope":"organisation"},{"function":"platform","count":1,"scope":"organisation"},{"function":"application","count":1,"scope":"owning-tenant"}]'::jsonb),
  ('emergency', 'The emergency path: with one security approver an admin may release at once, through a freeze; the release is flagged in the audit trail and must be reviewed afterwards.',
   '{"emergency":true}'::jsonb,
   '[{"function":"security","count":1,"scope":"organisation"}]'::jsonb);
--> statement-breakpoint
-- Change windows: releasing into an environment while it is frozen is refused.
CREATE TABLE "change_freezes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"environment" text NOT NULL,
	"starts_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone NOT NULL,
	"reason" text NOT NULL,
	"created_by_id" text,
	"created_by_label" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "change_freezes_ordered" CHECK ("change_freezes"."starts_at" < "change_freezes"."ends_at")
);
--> statement-breakpoint
ALTER TABLE "change_freezes" ADD CONSTRAINT "change_freezes_created_by_id_user_id_fk" FOREIGN KEY ("created_by_id") REFERENCES "public"."user"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "change_freezes_window" ON "change_freezes" USING btree ("environment","ends_at");
