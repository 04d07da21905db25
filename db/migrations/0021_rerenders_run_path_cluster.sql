CREATE TABLE "exception_rerenders" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"exception_id" uuid NOT NULL,
	"event" text NOT NULL,
	"at" timestamp (3) with time zone NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"claimed_until" timestamp (3) with time zone,
	"next_attempt_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"done_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "replay_run_paths" ADD COLUMN "cluster" text;--> statement-breakpoint
ALTER TABLE "exception_rerenders" ADD CONSTRAINT "exception_rerenders_exception_id_exceptions_id_fk" FOREIGN KEY ("exception_id") REFERENCES "public"."exceptions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "exception_rerenders_one_per_event" ON "exception_rerenders" USING btree ("exception_id","event");--> statement-breakpoint
CREATE INDEX "exception_rerenders_pending" ON "exception_rerenders" USING btree ("done_at");