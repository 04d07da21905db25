ALTER TABLE "api_tokens" ADD COLUMN "scopes" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "api_tokens" ADD COLUMN "cluster_id" uuid;--> statement-breakpoint
ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_cluster_id_clusters_id_fk" FOREIGN KEY ("cluster_id") REFERENCES "public"."clusters"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
-- Tokens made before scopes existed could call every endpoint their role allowed: they keep that.
UPDATE "api_tokens" SET "scopes" = ARRAY['decide', 'observed-state', 'flows', 'manifests', 'export', 'propose']::text[];
