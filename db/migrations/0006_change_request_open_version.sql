-- Each item carries its request's state (kept equal by the cascading foreign key)
-- so a partial unique index can refuse one drafted version in two open requests.
ALTER TABLE "change_requests" ADD CONSTRAINT "change_requests_id_state" UNIQUE("id","state");--> statement-breakpoint
ALTER TABLE "change_request_items" ADD COLUMN "state" text DEFAULT 'open' NOT NULL;--> statement-breakpoint
UPDATE "change_request_items" SET "state" = cr."state" FROM "change_requests" cr WHERE cr."id" = "change_request_items"."change_request_id";--> statement-breakpoint
ALTER TABLE "change_request_items" ADD CONSTRAINT "change_request_items_request_state_fk" FOREIGN KEY ("change_request_id","state") REFERENCES "public"."change_requests"("id","state") ON DELETE cascade ON UPDATE cascade;--> statement-breakpoint
CREATE UNIQUE INDEX "change_request_items_open_version" ON "change_request_items" USING btree ("policy_id","to_version") WHERE state = 'open';
