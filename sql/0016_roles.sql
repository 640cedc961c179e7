-- 0016_roles.sql — least-privilege roles. NOLOGIN groups; the operator grants them to login
-- roles (README, "Roles"):
--   CREATE ROLE shop_app LOGIN PASSWORD '…' IN ROLE cs_enqueuer, cs_writer;
--   CREATE ROLE worker   LOGIN PASSWORD '…' IN ROLE cs_worker;
--
-- cs_enqueuer  insert jobs, call the enqueue functions and file privacy requests; read nothing
-- cs_writer    write the input tables (accounts, contacts, activity, tickets, surveys, invoices, milestones)
-- cs_worker    what the worker needs: the queue, the domain tables, the outbox; not the audit log's contents
-- cs_operator  read the views and reports, retry / cancel / discard, pause / resume, acknowledge; no personal data
-- cs_auditor   read the audit log and the privacy requests
-- Migrations stay with the schema owner. Roles are cluster-wide, so they are created once.

DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['cs_enqueuer', 'cs_writer', 'cs_worker', 'cs_operator', 'cs_auditor'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN', r);
        END IF;
    END LOOP;
END $$;

GRANT USAGE ON SCHEMA cs TO cs_enqueuer, cs_writer, cs_worker, cs_operator, cs_auditor;

-- Functions are callable by everyone unless revoked: only the grants below hold.
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA cs FROM PUBLIC;

-- The entry points other roles call run as the schema owner (SECURITY DEFINER), with a fixed
-- search_path, so calling them needs no rights on the tables behind them.
ALTER FUNCTION cs.enqueue(text, jsonb, text, smallint, timestamptz, smallint, text) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION cs.enqueue_many(text, jsonb[], text, smallint) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION cs.enqueue_delivery(text, text, text, text, text, jsonb, text, bigint, bigint, bigint, smallint) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION cs.file_privacy_request(text, text, bigint, text) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION cs.audit(text, text, text, jsonb, jsonb, text) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION cs.retry_job(bigint) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION cs.cancel_job(bigint) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION cs.discard_job(bigint, text) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION cs.pause_queue(text, text) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION cs.resume_queue(text, text) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION cs.acknowledge_alert(bigint, text) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION cs.resolve_alert(bigint, text) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
-- Triggers that write tables the writer does not own: the MRR history.
ALTER FUNCTION cs.record_mrr_change() SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

-- cs_enqueuer: a plain INSERT into cs.jobs (RETURNING id) or the enqueue functions.
GRANT INSERT ON cs.jobs TO cs_enqueuer;
GRANT SELECT (id) ON cs.jobs TO cs_enqueuer;
GRANT EXECUTE ON FUNCTION cs.enqueue(text, jsonb, text, smallint, timestamptz, smallint, text),
                          cs.enqueue_many(text, jsonb[], text, smallint),
                          cs.enqueue_delivery(text, text, text, text, text, jsonb, text, bigint, bigint, bigint, smallint),
                          cs.file_privacy_request(text, text, bigint, text),
                          cs.request_erasure(text, bigint, text), cs.request_export(text, bigint, text)
    TO cs_enqueuer;

-- cs_writer: the input tables.
GRANT SELECT, INSERT, UPDATE, DELETE ON cs.accounts, cs.contacts, cs.activity, cs.tickets, cs.surveys, cs.invoices, cs.milestones
    TO cs_writer;

-- cs_worker: every table but the audit log (which it writes through cs.audit only).
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA cs TO cs_worker;
REVOKE ALL ON cs.audit_log FROM cs_worker;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA cs TO cs_worker;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA cs TO cs_worker;

-- cs_operator: views, operational tables and reports; the buttons. No contacts, no message bodies.
GRANT SELECT ON cs.queue_overview, cs.failing_jobs, cs.stuck_jobs, cs.delivery_overview, cs.open_alerts,
                cs.workers, cs.leader, cs.schedules, cs.queues, cs.kind_limits, cs.alerts, cs.health_check_runs,
                cs.health_checks, cs.reports, cs.job_throughput, cs.retention_policies, cs.privacy_requests
    TO cs_operator;
GRANT EXECUTE ON FUNCTION cs.retry_job(bigint), cs.cancel_job(bigint), cs.discard_job(bigint, text),
                          cs.pause_queue(text, text), cs.resume_queue(text, text),
                          cs.acknowledge_alert(bigint, text), cs.resolve_alert(bigint, text), cs.severity_rank(text)
    TO cs_operator;

-- cs_auditor: the audit trail and the requests it refers to.
GRANT SELECT ON cs.audit_log, cs.privacy_requests TO cs_auditor;
