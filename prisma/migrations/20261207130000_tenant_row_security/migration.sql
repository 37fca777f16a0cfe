-- Row-level security on the tenant tables: the database itself keeps a workspace's queries to that
-- workspace's rows, under the scoped client's filter (server/tenancy/scoped-db.ts) and every raw
-- statement outside the engine (server/tenancy/workspace-sql.ts).
--
-- The policies apply to one role, baton_tenant. Code acting inside a workspace enters it per
-- transaction: `set_config('role', 'baton_tenant', true)` and `set_config('app.workspace_id', <id>,
-- true)`, both ending with the transaction. Without the setting the role sees no tenant row at all.
-- The role Baton connects as (the tables' owner, or a superuser) is not subject to the policies —
-- the tables are not FORCEd — so the engine's core and the platform's cross-tenant paths
-- (server/engine/sql.ts, server/db/cross-tenant.ts) pay nothing on the hot path and say in every
-- statement which workspace they act on. docs/architecture.md, "Tenancy", says who uses which.

-- Roles belong to the cluster, not the database: several databases (tests, installations) share it.
DO $$
BEGIN
  CREATE ROLE baton_tenant NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;
-- The connecting role switches to it inside transactions (SET ROLE needs membership).
GRANT baton_tenant TO CURRENT_USER;

GRANT USAGE ON SCHEMA public TO baton_tenant;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO baton_tenant;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO baton_tenant;
-- Tables and sequences of later migrations (created by the same role) too.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO baton_tenant;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO baton_tenant;

-- The workspace a transaction entered, or NULL (no row matches NULL).
CREATE OR REPLACE FUNCTION baton_current_workspace() RETURNS uuid
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT nullif(current_setting('app.workspace_id', true), '')::uuid $$;

-- One policy per tenant table (every model with workspaceId: server/tenancy/scoped-db.ts lists
-- them, and test/integration/tenancy.row-security.test.ts checks each has its policy).
DO $$
DECLARE
  tenant_table text;
BEGIN
  FOREACH tenant_table IN ARRAY ARRAY[
    'Membership', 'Invitation', 'ApiToken', 'AuditEvent', 'Dag', 'DagVersion', 'Variable', 'Secret',
    'Connection', 'DagRun', 'TaskInstance', 'TaskAttempt', 'TaskLog', 'Pool', 'WorkspaceDispatch',
    'WebhookEndpoint', 'WebhookDelivery', 'Backfill', 'DagTrigger', 'UsageDay', 'Notification',
    'QuotaAlert'
  ] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', tenant_table);
    EXECUTE format(
      'CREATE POLICY workspace_isolation ON %I TO baton_tenant
         USING ("workspaceId" = baton_current_workspace())
         WITH CHECK ("workspaceId" = baton_current_workspace())',
      tenant_table);
  END LOOP;
END $$;

-- The Workspace row itself: a workspace's transactions read and lock only their own (quotas, the
-- run gate, suspension).
ALTER TABLE "Workspace" ENABLE ROW LEVEL SECURITY;
CREATE POLICY workspace_isolation ON "Workspace" TO baton_tenant
  USING (id = baton_current_workspace())
  WITH CHECK (id = baton_current_workspace());

-- Jobs added inside a workspace's transaction (a backfill and its first step commit together). The
-- job queue is graphile-worker's, whose tables the tenant role may not touch; this function adds a
-- job as its owner and does nothing else. graphile-worker's schema is created after these
-- migrations, so the body (PL/pgSQL) is resolved when called, not now.
CREATE OR REPLACE FUNCTION baton_add_job(identifier text, payload json, run_at timestamptz, job_key text,
                                         max_attempts int) RETURNS void
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public
  AS $$
BEGIN
  PERFORM graphile_worker.add_job(identifier, payload, run_at := run_at, job_key := job_key,
                                  max_attempts := max_attempts);
END $$;
REVOKE ALL ON FUNCTION baton_add_job(text, json, timestamptz, text, int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION baton_add_job(text, json, timestamptz, text, int) TO baton_tenant;
