CREATE TABLE "token_rotations" (
	"old_token_id" uuid PRIMARY KEY NOT NULL,
	"new_token_id" uuid NOT NULL,
	"old_valid_until" timestamp with time zone NOT NULL,
	"rotated_by" text NOT NULL,
	"rotated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "token_rotations_new_token_id_unique" UNIQUE("new_token_id")
);
--> statement-breakpoint
CREATE TABLE "token_settings" (
	"id" integer PRIMARY KEY DEFAULT 1 NOT NULL,
	"max_expiry_days" integer DEFAULT 365,
	"version" integer DEFAULT 1 NOT NULL,
	"updated_by" text DEFAULT 'system' NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "token_rotations" ADD CONSTRAINT "token_rotations_old_token_id_api_tokens_id_fk" FOREIGN KEY ("old_token_id") REFERENCES "public"."api_tokens"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "token_rotations" ADD CONSTRAINT "token_rotations_new_token_id_api_tokens_id_fk" FOREIGN KEY ("new_token_id") REFERENCES "public"."api_tokens"("id") ON DELETE cascade ON UPDATE no action;