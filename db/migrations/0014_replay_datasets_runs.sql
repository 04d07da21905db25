CREATE TABLE "replay_datasets" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"file_name" text NOT NULL,
	"size_bytes" bigint NOT NULL,
	"format" text NOT NULL,
	"gzip" boolean DEFAULT false NOT NULL,
	"state" text DEFAULT 'scanning' NOT NULL,
	"error" text,
	"text_chars" bigint,
	"record_count" integer,
	"flow_count" bigint,
	"bad_line_count" integer,
	"bad_lines" jsonb,
	"time_from" timestamp with time zone,
	"time_to" timestamp with time zone,
	"uploader_id" text,
	"uploader_label" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "replay_run_paths" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"run_id" uuid NOT NULL,
	"src" text NOT NULL,
	"dst" text NOT NULL,
	"port" integer NOT NULL,
	"protocol" text NOT NULL,
	"change" text NOT NULL,
	"baseline" text NOT NULL,
	"proposal" text NOT NULL,
	"flows" bigint NOT NULL,
	"records" integer NOT NULL,
	"first_seen" timestamp with time zone NOT NULL,
	"last_seen" timestamp with time zone NOT NULL,
	"baseline_path" text NOT NULL,
	"proposal_path" text NOT NULL,
	"sample_lines" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "replay_runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"dataset_id" uuid NOT NULL,
	"cluster" text NOT NULL,
	"proposal_kind" text NOT NULL,
	"change_request_id" uuid,
	"baseline_label" text NOT NULL,
	"proposal_label" text NOT NULL,
	"window_from" timestamp with time zone,
	"window_to" timestamp with time zone,
	"state" text DEFAULT 'running' NOT NULL,
	"phase" text DEFAULT 'starting' NOT NULL,
	"progress" real DEFAULT 0 NOT NULL,
	"eta_seconds" integer,
	"error" text,
	"totals" jsonb,
	"started_by_id" text,
	"started_by_label" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "replay_datasets" ADD CONSTRAINT "replay_datasets_uploader_id_user_id_fk" FOREIGN KEY ("uploader_id") REFERENCES "public"."user"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "replay_run_paths" ADD CONSTRAINT "replay_run_paths_run_id_replay_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."replay_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "replay_runs" ADD CONSTRAINT "replay_runs_dataset_id_replay_datasets_id_fk" FOREIGN KEY ("dataset_id") REFERENCES "public"."replay_datasets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "replay_runs" ADD CONSTRAINT "replay_runs_change_request_id_change_requests_id_fk" FOREIGN KEY ("change_request_id") REFERENCES "public"."change_requests"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "replay_runs" ADD CONSTRAINT "replay_runs_started_by_id_user_id_fk" FOREIGN KEY ("started_by_id") REFERENCES "public"."user"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "replay_datasets_created" ON "replay_datasets" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "replay_run_paths_run" ON "replay_run_paths" USING btree ("run_id","change");--> statement-breakpoint
CREATE INDEX "replay_runs_dataset" ON "replay_runs" USING btree ("dataset_id");--> statement-breakpoint
CREATE INDEX "replay_runs_change" ON "replay_runs" USING btree ("change_request_id","created_at");