CREATE TABLE "change_request_comments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"change_request_id" uuid NOT NULL,
	"author_id" text,
	"author_label" text NOT NULL,
	"body" text NOT NULL,
	"policy_name" text,
	"side" text,
	"line" integer,
	"line_text" text,
	"content_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "change_request_comments_body_size" CHECK (char_length("change_request_comments"."body") BETWEEN 1 AND 10000),
	CONSTRAINT "change_request_comments_anchor" CHECK (("change_request_comments"."policy_name" IS NULL AND "change_request_comments"."side" IS NULL AND "change_request_comments"."line" IS NULL AND "change_request_comments"."line_text" IS NULL) OR ("change_request_comments"."policy_name" IS NOT NULL AND "change_request_comments"."side" IN ('released', 'proposed') AND "change_request_comments"."line" >= 1 AND "change_request_comments"."line_text" IS NOT NULL))
);
--> statement-breakpoint
ALTER TABLE "approval_rules" ADD COLUMN "version" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "change_request_comments" ADD CONSTRAINT "change_request_comments_change_request_id_change_requests_id_fk" FOREIGN KEY ("change_request_id") REFERENCES "public"."change_requests"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "change_request_comments" ADD CONSTRAINT "change_request_comments_author_id_user_id_fk" FOREIGN KEY ("author_id") REFERENCES "public"."user"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "change_request_comments_cr" ON "change_request_comments" USING btree ("change_request_id","created_at");--> statement-breakpoint
CREATE INDEX "audit_events_target" ON "audit_events" USING btree ("target_type","target_id");