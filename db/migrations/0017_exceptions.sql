CREATE TABLE "exception_approvals" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"exception_id" uuid NOT NULL,
	"approver_id" text,
	"approver_label" text NOT NULL,
	"functions" jsonb NOT NULL,
	"content_hash" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "exception_settings" (
	"id" integer PRIMARY KEY DEFAULT 1 NOT NULL,
	"max_duration_days" integer DEFAULT 30 NOT NULL,
	"forbid_whole_internet" boolean DEFAULT true NOT NULL,
	"forbid_whole_namespace_in_production" boolean DEFAULT true NOT NULL,
	"max_renewals" integer DEFAULT 2 NOT NULL,
	"rules" jsonb NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"updated_by" text DEFAULT 'system' NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "exceptions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"number" serial NOT NULL,
	"state" text DEFAULT 'requested' NOT NULL,
	"title" text NOT NULL,
	"tenant_id" uuid,
	"flow" jsonb NOT NULL,
	"justification" text NOT NULL,
	"ticket" text NOT NULL,
	"starts_at" timestamp (3) with time zone NOT NULL,
	"expires_at" timestamp (3) with time zone NOT NULL,
	"content_hash" text NOT NULL,
	"requester_id" text,
	"requester_label" text NOT NULL,
	"renews_id" uuid,
	"renewal_depth" integer DEFAULT 0 NOT NULL,
	"production" boolean DEFAULT false NOT NULL,
	"decided_at" timestamp (3) with time zone,
	"decided_by_label" text,
	"decision_reason" text,
	"start_recorded_at" timestamp (3) with time zone,
	"notices_sent" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "exceptions_window" CHECK ("exceptions"."starts_at" < "exceptions"."expires_at")
);
--> statement-breakpoint
ALTER TABLE "exception_approvals" ADD CONSTRAINT "exception_approvals_exception_id_exceptions_id_fk" FOREIGN KEY ("exception_id") REFERENCES "public"."exceptions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "exception_approvals" ADD CONSTRAINT "exception_approvals_approver_id_user_id_fk" FOREIGN KEY ("approver_id") REFERENCES "public"."user"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "exceptions" ADD CONSTRAINT "exceptions_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "exceptions" ADD CONSTRAINT "exceptions_requester_id_user_id_fk" FOREIGN KEY ("requester_id") REFERENCES "public"."user"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "exceptions" ADD CONSTRAINT "exceptions_renews_id_exceptions_id_fk" FOREIGN KEY ("renews_id") REFERENCES "public"."exceptions"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "exception_approvals_one_per_person" ON "exception_approvals" USING btree ("exception_id","approver_id");--> statement-breakpoint
CREATE UNIQUE INDEX "exceptions_number" ON "exceptions" USING btree ("number");--> statement-breakpoint
CREATE INDEX "exceptions_state" ON "exceptions" USING btree ("state");