CREATE TABLE "release_staged_entries" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"release_id" uuid NOT NULL,
	"policy_id" uuid NOT NULL,
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"version" integer NOT NULL,
	"content_hash" text NOT NULL,
	"change_request_number" integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE "change_requests" ADD COLUMN "staged" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "change_requests" ADD COLUMN "promoted_from_id" uuid;--> statement-breakpoint
ALTER TABLE "releases" ADD COLUMN "staged" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "release_staged_entries" ADD CONSTRAINT "release_staged_entries_release_id_releases_id_fk" FOREIGN KEY ("release_id") REFERENCES "public"."releases"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "release_staged_entries" ADD CONSTRAINT "release_staged_entries_policy_id_policies_id_fk" FOREIGN KEY ("policy_id") REFERENCES "public"."policies"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "release_staged_entries_release_policy" ON "release_staged_entries" USING btree ("release_id","policy_id");--> statement-breakpoint
ALTER TABLE "change_requests" ADD CONSTRAINT "change_requests_promoted_from_id_change_requests_id_fk" FOREIGN KEY ("promoted_from_id") REFERENCES "public"."change_requests"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
-- A release's staged versions are as immutable as the release (0009's function refuses every change).
CREATE TRIGGER release_staged_entries_immutable BEFORE UPDATE OR DELETE ON release_staged_entries FOR EACH ROW EXECUTE FUNCTION releases_refuse_change();
