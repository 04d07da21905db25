DROP INDEX "policies_kind_name";--> statement-breakpoint
CREATE UNIQUE INDEX "policies_name" ON "policies" USING btree ("name");