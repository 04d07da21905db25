-- The role the Policyplane application runs as on PostgreSQL (DATABASE_URL).
-- It reads and writes the application's tables but may only INSERT and SELECT
-- the audit trail: it cannot UPDATE, DELETE or TRUNCATE audit_events, and as a
-- non-owner it cannot ALTER the table or DISABLE its triggers. Migrations run
-- as the owner role instead (DATABASE_MIGRATION_URL).
--
-- Run as the owner of the tables, in the Policyplane database, after the first
-- migration (re-running it is harmless):
--   DATABASE_URL="$OWNER_URL" npm run db:migrate
--   psql "$OWNER_URL" -v ON_ERROR_STOP=1 -f db/app-role.sql
--   psql "$OWNER_URL" -c "ALTER ROLE policyplane_app PASSWORD '…'"
-- Creating the role needs CREATEROLE; otherwise have an administrator create
-- it (CREATE ROLE policyplane_app LOGIN) and run the rest.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'policyplane_app') THEN
    CREATE ROLE policyplane_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION;
  END IF;
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO policyplane_app', current_database());
END
$$;

GRANT USAGE ON SCHEMA public TO policyplane_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO policyplane_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO policyplane_app;
-- The audit trail is append-only for the application.
REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON audit_events FROM policyplane_app;

-- Tables and sequences later migrations create (as this owner) get the same rights.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO policyplane_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO policyplane_app;
