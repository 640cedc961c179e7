-- 0019_signals.sql — success events in real time, and rollups the nightly scorer reads.
--
-- Signals: a change to an input table that should not wait for the nightly run (a failed
-- collection, an urgent ticket, an NPS detractor, an account's status or MRR changing, a
-- milestone reached) is noticed by a statement-level trigger on that table, written to
-- cs.signals (one row per account, rule and statement, however many rows changed) and turns
-- into one `score_account` job per account. The job key `score_account:<id>` makes a burst of
-- 1,000 events one job; the job gives its key back when it starts, so a signal arriving while
-- the account is being scored queues exactly one more run. Applications get this for free by
-- writing their rows; they (or an operator) may also INSERT INTO cs.signals themselves.
-- A back-fill of history that is not news turns them off for its transaction:
--   BEGIN; SET LOCAL cs.signals = 'off'; COPY cs.invoices …; COMMIT;
--
--   UPDATE cs.signal_rules SET enabled = false WHERE key = 'account_changed';
--   UPDATE cs.signal_rules SET params = '{"max_score": 4}' WHERE key = 'nps_detractor';
--
-- Rollups: cs.activity_daily holds activity per account, UTC day and event (total quantity,
-- first and last occurred_at), kept by a statement-level trigger on cs.activity (insert adds,
-- delete subtracts, update does both, truncate empties). The first/last times let the scorer
-- use a day whole when it lies on one side of every window boundary and go back to the raw
-- rows only for the few that straddle one, so its figures equal a scan of cs.activity.

-- ───────────────────────────── signal rules ─────────────────────────────

CREATE TABLE cs.signal_rules (
    key          text PRIMARY KEY,
    source       text    NOT NULL,                 -- the input table watched
    description  text    NOT NULL,
    params       jsonb   NOT NULL DEFAULT '{}',
    enabled      boolean NOT NULL DEFAULT true,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT signal_rules_key CHECK (key IN ('invoice_failed', 'ticket_opened_urgent', 'nps_detractor',
                                               'account_changed', 'milestone_completed')),
    CONSTRAINT signal_rules_params_object CHECK (jsonb_typeof(params) = 'object')
);
COMMENT ON TABLE cs.signal_rules IS 'Which input changes rescore an account at once. params: ticket_opened_urgent {priorities}; nps_detractor {max_score}; account_changed {columns: subset of status, mrr, plan, renewal_date}; milestone_completed {milestones: null = all}.';

INSERT INTO cs.signal_rules (key, source, description, params) VALUES
    ('invoice_failed', 'cs.invoices', 'a collection failed (failed_at set or changed)', '{}'),
    ('ticket_opened_urgent', 'cs.tickets', 'a ticket opened, or raised, to one of the priorities', '{"priorities": ["high", "urgent"]}'),
    ('nps_detractor', 'cs.surveys', 'an NPS answer at or below max_score', '{"max_score": 6}'),
    ('account_changed', 'cs.accounts', 'one of the columns changed', '{"columns": ["status", "mrr"]}'),
    ('milestone_completed', 'cs.milestones', 'an onboarding milestone reached', '{"milestones": null}');

-- ───────────────────────────── signals ─────────────────────────────

CREATE TABLE cs.signals (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id       bigint      NOT NULL,
    rule             text        NOT NULL,         -- a cs.signal_rules key, or the writer's own word
    detail           text        NOT NULL DEFAULT '',  -- ids and values only, never personal data
    events           integer     NOT NULL DEFAULT 1,   -- rows of the statement behind this signal
    occurred_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    health_score_id  bigint,                       -- the score that took it into account
    CONSTRAINT signals_events_positive CHECK (events > 0),
    CONSTRAINT signals_detail_bounded CHECK (length(detail) <= 500)
);
COMMENT ON TABLE cs.signals IS 'Input changes that rescored an account at once (cs.signal_rules). health_score_id: the score written for it; NULL while pending.';
CREATE INDEX signals_pending ON cs.signals (account_id, id) WHERE health_score_id IS NULL;
CREATE INDEX signals_score ON cs.signals (health_score_id) WHERE health_score_id IS NOT NULL;
CREATE INDEX signals_occurred_at ON cs.signals USING brin (occurred_at);

-- One score_account job per account; a live job with the account's key wins. The conflict
-- takes the live job's row lock (DO UPDATE … WHERE false changes nothing) and holds it to
-- commit, so that job cannot start — and give its key back — before this transaction's rows
-- are visible to it: a signal is never deduplicated into a run that cannot see it.
CREATE FUNCTION cs.enqueue_rescore(accounts bigint[]) RETURNS void LANGUAGE sql AS $$
    INSERT INTO cs.jobs AS j (kind, args, queue, priority, unique_key)
    SELECT 'score_account', jsonb_build_object('account_id', a), 'default', 10, 'score_account:' || a
    FROM (SELECT DISTINCT a FROM unnest(accounts) AS u (a) WHERE a IS NOT NULL) s ORDER BY a
    ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL AND state IN ('available', 'scheduled', 'running', 'retryable')
    DO UPDATE SET unique_key = j.unique_key WHERE false
$$;

CREATE FUNCTION cs.signals_enqueue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM cs.enqueue_rescore(array(SELECT DISTINCT account_id FROM new_signals));
    RETURN NULL;
END $$;

CREATE TRIGGER signals_enqueue AFTER INSERT ON cs.signals
    REFERENCING NEW TABLE AS new_signals
    FOR EACH STATEMENT EXECUTE FUNCTION cs.signals_enqueue();

-- The input tables' triggers. Each reads its rule once per statement (nothing at all is done
-- when the rule is disabled or the transaction said cs.signals = 'off') and writes one
-- signal per account.

-- A rule's params when it applies to this statement, else NULL.
CREATE FUNCTION cs.signal_rule_params(rule text) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT r.params FROM cs.signal_rules r
    WHERE r.key = rule AND r.enabled AND current_setting('cs.signals', true) IS DISTINCT FROM 'off'
$$;

CREATE FUNCTION cs.signal_invoices() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF cs.signal_rule_params('invoice_failed') IS NULL THEN RETURN NULL; END IF;
    IF TG_OP = 'INSERT' THEN
        INSERT INTO cs.signals (account_id, rule, detail, events)
        SELECT account_id, 'invoice_failed',
               'invoice ' || min(id) || ' failed' || CASE WHEN count(*) > 1 THEN ' (' || count(*) || ' invoices)' ELSE '' END, count(*)
        FROM new_rows WHERE failed_at IS NOT NULL GROUP BY account_id;
    ELSE
        INSERT INTO cs.signals (account_id, rule, detail, events)
        SELECT n.account_id, 'invoice_failed',
               'invoice ' || min(n.id) || ' failed' || CASE WHEN count(*) > 1 THEN ' (' || count(*) || ' invoices)' ELSE '' END, count(*)
        FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE n.failed_at IS NOT NULL AND n.failed_at IS DISTINCT FROM o.failed_at GROUP BY n.account_id;
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION cs.signal_tickets() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    wanted text[];
BEGIN
    SELECT coalesce(array(SELECT jsonb_array_elements_text(p -> 'priorities')), '{}') INTO wanted
    FROM cs.signal_rule_params('ticket_opened_urgent') AS p WHERE p IS NOT NULL;
    IF wanted IS NULL THEN RETURN NULL; END IF;
    IF TG_OP = 'INSERT' THEN
        INSERT INTO cs.signals (account_id, rule, detail, events)
        SELECT account_id, 'ticket_opened_urgent', 'ticket ' || min(id) || ' opened ' || max(priority), count(*)
        FROM new_rows WHERE priority = ANY (wanted) AND closed_at IS NULL GROUP BY account_id;
    ELSE
        INSERT INTO cs.signals (account_id, rule, detail, events)
        SELECT n.account_id, 'ticket_opened_urgent', 'ticket ' || min(n.id) || ' raised to ' || max(n.priority), count(*)
        FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE n.priority = ANY (wanted) AND n.priority IS DISTINCT FROM o.priority AND n.closed_at IS NULL GROUP BY n.account_id;
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION cs.signal_surveys() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    max_score int;
BEGIN
    SELECT coalesce((p ->> 'max_score')::int, 6) INTO max_score
    FROM cs.signal_rule_params('nps_detractor') AS p WHERE p IS NOT NULL;
    IF max_score IS NULL THEN RETURN NULL; END IF;
    INSERT INTO cs.signals (account_id, rule, detail, events)
    SELECT account_id, 'nps_detractor', 'NPS ' || min(score) || ' (survey ' || min(id) || ')', count(*)
    FROM new_rows WHERE kind = 'nps' AND score <= max_score GROUP BY account_id;
    RETURN NULL;
END $$;

CREATE FUNCTION cs.signal_accounts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    cols text[];
BEGIN
    SELECT coalesce(array(SELECT jsonb_array_elements_text(p -> 'columns')), '{}') INTO cols
    FROM cs.signal_rule_params('account_changed') AS p WHERE p IS NOT NULL;
    IF cols IS NULL THEN RETURN NULL; END IF;
    INSERT INTO cs.signals (account_id, rule, detail)
    SELECT n.id, 'account_changed',
           concat_ws(', ',
               CASE WHEN 'status' = ANY (cols) AND n.status IS DISTINCT FROM o.status THEN 'status ' || o.status || ' → ' || n.status END,
               CASE WHEN 'mrr' = ANY (cols) AND n.mrr IS DISTINCT FROM o.mrr THEN 'mrr ' || o.mrr || ' → ' || n.mrr END,
               CASE WHEN 'plan' = ANY (cols) AND n.plan IS DISTINCT FROM o.plan THEN 'plan ' || o.plan || ' → ' || n.plan END,
               CASE WHEN 'renewal_date' = ANY (cols) AND n.renewal_date IS DISTINCT FROM o.renewal_date
                    THEN 'renewal ' || coalesce(o.renewal_date::text, 'none') || ' → ' || coalesce(n.renewal_date::text, 'none') END)
    FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE ('status' = ANY (cols) AND n.status IS DISTINCT FROM o.status)
       OR ('mrr' = ANY (cols) AND n.mrr IS DISTINCT FROM o.mrr)
       OR ('plan' = ANY (cols) AND n.plan IS DISTINCT FROM o.plan)
       OR ('renewal_date' = ANY (cols) AND n.renewal_date IS DISTINCT FROM o.renewal_date);
    RETURN NULL;
END $$;

CREATE FUNCTION cs.signal_milestones() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    rule_params jsonb;
BEGIN
    rule_params := cs.signal_rule_params('milestone_completed');
    IF rule_params IS NULL THEN RETURN NULL; END IF;
    INSERT INTO cs.signals (account_id, rule, detail, events)
    SELECT account_id, 'milestone_completed', string_agg(milestone, ', ' ORDER BY milestone), count(*)
    FROM new_rows
    WHERE jsonb_typeof(rule_params -> 'milestones') IS DISTINCT FROM 'array'
       OR milestone IN (SELECT jsonb_array_elements_text(rule_params -> 'milestones'))
    GROUP BY account_id;
    RETURN NULL;
END $$;

-- A trigger with transition tables serves one event, hence one per event.
CREATE TRIGGER invoices_signal_insert AFTER INSERT ON cs.invoices REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cs.signal_invoices();
CREATE TRIGGER invoices_signal_update AFTER UPDATE ON cs.invoices REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cs.signal_invoices();
CREATE TRIGGER tickets_signal_insert AFTER INSERT ON cs.tickets REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cs.signal_tickets();
CREATE TRIGGER tickets_signal_update AFTER UPDATE ON cs.tickets REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cs.signal_tickets();
CREATE TRIGGER surveys_signal_insert AFTER INSERT ON cs.surveys REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cs.signal_surveys();
CREATE TRIGGER accounts_signal_update AFTER UPDATE ON cs.accounts REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cs.signal_accounts();
CREATE TRIGGER milestones_signal_insert AFTER INSERT ON cs.milestones REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cs.signal_milestones();

-- ───────────────────────────── activity rollups ─────────────────────────────

CREATE TABLE cs.activity_daily (
    account_id  bigint      NOT NULL,
    day         date        NOT NULL,              -- UTC day of occurred_at
    event       text        NOT NULL,
    quantity    bigint      NOT NULL,
    first_at    timestamptz NOT NULL,              -- earliest occurred_at of the day's rows (may be earlier after deletes)
    last_at     timestamptz NOT NULL,              -- latest (may be later after deletes)
    PRIMARY KEY (account_id, day, event),
    CONSTRAINT activity_daily_quantity_positive CHECK (quantity > 0)
);
COMMENT ON TABLE cs.activity_daily IS 'cs.activity summed per account, UTC day and event, kept by trigger. [first_at, last_at] bounds the rows; deletes subtract and leave the bounds (wider bounds stay correct).';

CREATE FUNCTION cs.activity_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        TRUNCATE cs.activity_daily;
        RETURN NULL;
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        -- Emptied groups go first; then the others are reduced (in this order, so the second
        -- statement never sees a quantity the first one changed).
        DELETE FROM cs.activity_daily d
        USING (SELECT account_id, (occurred_at AT TIME ZONE 'UTC')::date AS day, event, sum(quantity) AS quantity
               FROM old_rows GROUP BY 1, 2, 3) o
        WHERE d.account_id = o.account_id AND d.day = o.day AND d.event = o.event AND d.quantity <= o.quantity;
        UPDATE cs.activity_daily d SET quantity = d.quantity - o.quantity
        FROM (SELECT account_id, (occurred_at AT TIME ZONE 'UTC')::date AS day, event, sum(quantity) AS quantity
              FROM old_rows GROUP BY 1, 2, 3) o
        WHERE d.account_id = o.account_id AND d.day = o.day AND d.event = o.event;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO cs.activity_daily AS d (account_id, day, event, quantity, first_at, last_at)
        SELECT account_id, (occurred_at AT TIME ZONE 'UTC')::date, event, sum(quantity), min(occurred_at), max(occurred_at)
        FROM new_rows GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (account_id, day, event) DO UPDATE
            SET quantity = d.quantity + EXCLUDED.quantity,
                first_at = least(d.first_at, EXCLUDED.first_at), last_at = greatest(d.last_at, EXCLUDED.last_at);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER activity_rollup_insert AFTER INSERT ON cs.activity REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cs.activity_rollup();
CREATE TRIGGER activity_rollup_update AFTER UPDATE ON cs.activity REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cs.activity_rollup();
CREATE TRIGGER activity_rollup_delete AFTER DELETE ON cs.activity REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cs.activity_rollup();
CREATE TRIGGER activity_rollup_truncate AFTER TRUNCATE ON cs.activity
    FOR EACH STATEMENT EXECUTE FUNCTION cs.activity_rollup();

-- The history already there.
INSERT INTO cs.activity_daily (account_id, day, event, quantity, first_at, last_at)
SELECT account_id, (occurred_at AT TIME ZONE 'UTC')::date, event, sum(quantity), min(occurred_at), max(occurred_at)
FROM cs.activity GROUP BY 1, 2, 3;

-- ───────────────────────────── privileges, retention ─────────────────────────────

-- The triggers run for whoever writes the input tables (cs_writer has no rights on these).
ALTER FUNCTION cs.signals_enqueue() SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION cs.signal_invoices() SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION cs.signal_tickets() SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION cs.signal_surveys() SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION cs.signal_accounts() SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION cs.signal_milestones() SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION cs.activity_rollup() SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION cs.enqueue_rescore(bigint[]) SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION cs.signal_rule_params(text) SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION cs.enqueue_rescore(bigint[]), cs.signal_rule_params(text), cs.signals_enqueue(), cs.signal_invoices(), cs.signal_tickets(),
                       cs.signal_surveys(), cs.signal_accounts(), cs.signal_milestones(), cs.activity_rollup() FROM PUBLIC;

GRANT SELECT, INSERT, UPDATE, DELETE ON cs.signal_rules, cs.signals, cs.activity_daily TO cs_worker;
GRANT EXECUTE ON FUNCTION cs.enqueue_rescore(bigint[]) TO cs_worker;
GRANT INSERT ON cs.signals TO cs_writer;
GRANT SELECT ON cs.signal_rules, cs.signals TO cs_operator;

INSERT INTO cs.retention_policies (category, table_name, time_column, keep, action, anonymise, only_when)
VALUES ('signals', 'cs.signals', 'occurred_at', interval '90 days', 'delete', '{}', NULL)
ON CONFLICT (category) DO NOTHING;
