-- 0012_operate.sql — queue controls (pause, per-kind concurrency limits) and the
-- self-monitor: health checks with thresholds, their runs, alerts and the escalation policy.
--
-- Everything an operator does here is one SQL statement as well as a CLI command:
--   SELECT cs.pause_queue('default');            SELECT cs.resume_queue('default');
--   INSERT INTO cs.kind_limits VALUES ('generate_report', 4);
--   UPDATE cs.health_checks SET warn = 600 WHERE key = 'queue_oldest_ready_s';
--   SELECT cs.acknowledge_alert(12, 'alice');    SELECT * FROM cs.open_alerts;

-- MARK: Paused queues

-- A queue with no row here is running. The claim statements themselves skip a paused queue,
-- so no worker can start a job of it after the pause commits; running jobs finish.
CREATE TABLE cs.queues (
    name       text PRIMARY KEY,
    paused     boolean     NOT NULL DEFAULT false,
    paused_at  timestamptz,
    paused_by  text,
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT queues_name_not_empty CHECK (name <> '')
);

COMMENT ON TABLE cs.queues IS 'Paused queues: cs.pause_queue(q) / cs.resume_queue(q). A queue without a row runs.';

-- Workers LISTEN on cs_queues and hand back the jobs of a paused queue that they claimed
-- ahead and have not started; resuming also wakes them through cs_jobs.
CREATE FUNCTION cs.pause_queue(queue text, paused_by text DEFAULT current_user) RETURNS boolean
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
    INSERT INTO cs.queues AS q (name, paused, paused_at, paused_by, updated_at)
    VALUES (pause_queue.queue, true, now(), pause_queue.paused_by, now())
    ON CONFLICT (name) DO UPDATE
        SET paused = true, paused_at = now(), paused_by = EXCLUDED.paused_by, updated_at = now()
        WHERE NOT q.paused;
    PERFORM pg_notify('cs_queues', pause_queue.queue);
    RETURN true;
END $$;

CREATE FUNCTION cs.resume_queue(queue text, resumed_by text DEFAULT current_user) RETURNS boolean
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    was boolean;
BEGIN
    UPDATE cs.queues q SET paused = false, paused_at = NULL, paused_by = resume_queue.resumed_by, updated_at = now()
    WHERE q.name = resume_queue.queue AND q.paused
    RETURNING true INTO was;
    PERFORM pg_notify('cs_queues', resume_queue.queue);
    PERFORM pg_notify('cs_jobs', resume_queue.queue);
    RETURN coalesce(was, false);
END $$;

-- What a job reports of its work (counts, the monitor's verdict), written by its handler.
-- A nullable column without a default: adding it rewrites nothing.
ALTER TABLE cs.jobs ADD COLUMN result jsonb;

-- MARK: Per-kind concurrency limits

-- At most max_running jobs of the kind run at once across every worker. The ordinary claim
-- leaves these kinds alone; cs.claim_limited claims them under an advisory lock per kind,
-- counting what runs after the lock is held, so no two claims can exceed the limit together.
CREATE TABLE cs.kind_limits (
    kind        text PRIMARY KEY,
    max_running integer     NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT kind_limits_non_negative CHECK (max_running >= 0)
);

COMMENT ON TABLE cs.kind_limits IS 'Global concurrency limit per job kind (0 holds the kind back entirely).';

INSERT INTO cs.kind_limits (kind, max_running) VALUES ('retrain_model', 1), ('generate_report', 4);

-- Ready jobs by kind, for the limited claim: it finds a limited kind's next jobs without
-- walking the queue's whole backlog. A job enters this index when it becomes ready and never
-- on a claim or a completion (the new row version is not 'available').
CREATE INDEX jobs_claim_kind ON cs.jobs (kind, queue, priority, run_at, id) WHERE state = 'available';

-- Claims up to claim_limit ready jobs of limited kinds from the queue for the worker.
-- Each kind is claimed under pg_advisory_xact_lock, held to commit; a plpgsql statement takes
-- a fresh snapshot, so the running count read after the lock sees every earlier claim.
CREATE FUNCTION cs.claim_limited(queue text, claim_limit integer, worker text) RETURNS SETOF cs.jobs
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    l       record;
    running integer;
    room    integer;
    taken   integer := 0;
    got     integer;
BEGIN
    IF EXISTS (SELECT 1 FROM cs.queues q WHERE q.name = claim_limited.queue AND q.paused) THEN
        RETURN;
    END IF;
    FOR l IN SELECT k.kind, k.max_running FROM cs.kind_limits k ORDER BY k.kind LOOP
        EXIT WHEN taken >= claim_limit;
        CONTINUE WHEN NOT EXISTS (SELECT 1 FROM cs.jobs j WHERE j.state = 'available'
                                   AND j.kind = l.kind AND j.queue = claim_limited.queue);
        PERFORM pg_advisory_xact_lock(hashtext('cs.kind_limits'), hashtext(l.kind));
        SELECT count(*) INTO running FROM cs.jobs j
        WHERE j.worker_id IS NOT NULL AND j.state = 'running' AND j.kind = l.kind;
        room := least(l.max_running - running, claim_limit - taken);
        CONTINUE WHEN room <= 0;
        RETURN QUERY
            UPDATE cs.jobs j
            SET state = 'running', attempt = j.attempt + 1, attempted_at = now(),
                attempted_by = array_append(j.attempted_by, worker), worker_id = worker
            WHERE j.id = ANY (ARRAY(
                SELECT c.id FROM cs.jobs c
                WHERE c.state = 'available' AND c.kind = l.kind AND c.queue = claim_limited.queue
                ORDER BY c.priority, c.run_at, c.id
                LIMIT room
                FOR UPDATE SKIP LOCKED))
            RETURNING j.*;
        GET DIAGNOSTICS got = ROW_COUNT;
        taken := taken + got;
    END LOOP;
END $$;

-- Changing a limit wakes the workers (a raised limit lets waiting jobs start).
CREATE FUNCTION cs.kind_limits_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('cs_jobs', '');
    RETURN NULL;
END $$;

CREATE TRIGGER kind_limits_notify AFTER INSERT OR UPDATE OR DELETE ON cs.kind_limits
    FOR EACH STATEMENT EXECUTE FUNCTION cs.kind_limits_notify();

-- MARK: Health checks

-- One row per check of the self-monitor (`health_check` job, every minute). A value at or
-- above `warn` opens a warning, at or above `critical` a critical alert. Units in the key.
CREATE TABLE cs.health_checks (
    key         text PRIMARY KEY,
    warn        double precision NOT NULL,
    critical    double precision NOT NULL,
    enabled     boolean     NOT NULL DEFAULT true,
    description text        NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT health_checks_order CHECK (warn <= critical)
);

INSERT INTO cs.health_checks (key, warn, critical, description) VALUES
    ('queue_oldest_ready_s', 300, 900, 'Seconds the oldest ready job of a queue has waited for a worker'),
    ('jobs_failing_per_min', 5, 30, 'Job attempts that failed per minute over the last 15 minutes'),
    ('jobs_stuck', 1, 10, 'Running jobs whose worker stopped heartbeating'),
    ('workers_stale', 1, 3, 'Registered workers whose heartbeat is older than 30 seconds'),
    ('queue_unserved', 1, 1, 'A queue with ready jobs and no live worker listening to it (1 = unserved)'),
    ('delivery_failure_ratio', 0.2, 0.5, 'Failed share of a channel''s finished deliveries in the last hour (at least 5)'),
    ('breakers_open', 1, 1, 'Channels whose circuit breaker is open (endpoint failing repeatedly)'),
    ('scoring_age_h', 26, 50, 'Hours since the last health score was written'),
    ('model_age_d', 45, 90, 'Days since the champion churn model was trained'),
    ('drift_check_age_d', 8, 15, 'Days since the last model drift check'),
    ('model_drift_psi', 0.2, 0.3, 'Largest population stability index of the last drift check'),
    ('jobs_dead_tuple_ratio', 0.5, 0.8, 'Dead share of cs.jobs row versions (bloat), once it has 10,000 of them'),
    ('connections_used_ratio', 0.8, 0.95, 'Server connections in use against max_connections');

-- Scoring freshness reads the newest score written: an index, not a scan of every score.
CREATE INDEX health_scores_created_at ON cs.health_scores (created_at);

-- Circuit breakers the workers opened, so the monitor (another process) can see them.
CREATE TABLE cs.channel_breakers (
    channel    text PRIMARY KEY,
    endpoint   text        NOT NULL,   -- redacted: never a secret
    opened_at  timestamptz NOT NULL,
    open_until timestamptz NOT NULL,
    opened_by  text        NOT NULL    -- worker id
);

-- Every run of the monitor: what each check saw. No personal data: figures about the system.
CREATE TABLE cs.health_check_runs (
    id          bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    ran_at      timestamptz NOT NULL,
    took_ms     double precision NOT NULL,
    worst       text        NOT NULL,   -- ok, warning, critical
    results     jsonb       NOT NULL,   -- [{check, subject, value, severity, message}]
    job_id      bigint,
    CONSTRAINT health_check_runs_results_array CHECK (jsonb_typeof(results) = 'array')
);
CREATE INDEX health_check_runs_ran_at ON cs.health_check_runs (ran_at DESC);

-- MARK: Alerts and escalation

-- One alert per failing (check, subject) until it resolves: a check failing every minute
-- updates last_seen, it does not open another. It resolves after `resolve_after` passing runs
-- in a row (cs.alert_settings), so a flapping input keeps one alert and sends one message.
CREATE TABLE cs.alerts (
    id              bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    check_key       text        NOT NULL,
    subject         text        NOT NULL DEFAULT '',   -- a queue, a channel; never personal data
    dedup_key       text        NOT NULL,              -- check:subject; PagerDuty's key is 'cs-alert-<id>'
    severity        text        NOT NULL,
    state           text        NOT NULL DEFAULT 'open',
    message         text        NOT NULL,
    value           double precision,
    tier            integer     NOT NULL DEFAULT 0,    -- highest escalation tier notified
    passing_runs    integer     NOT NULL DEFAULT 0,
    opened_at       timestamptz NOT NULL,
    last_seen_at    timestamptz NOT NULL,
    escalated_at    timestamptz,
    acknowledged_at timestamptz,
    acknowledged_by text,
    resolved_at     timestamptz,
    resolved_by     text,                               -- 'monitor' or the operator
    resolve_notified_at timestamptz,
    CONSTRAINT alerts_severity CHECK (severity IN ('warning', 'critical')),
    CONSTRAINT alerts_state CHECK (state IN ('open', 'acknowledged', 'resolved'))
);
CREATE UNIQUE INDEX alerts_one_live ON cs.alerts (dedup_key) WHERE state <> 'resolved';
CREATE INDEX alerts_opened_at ON cs.alerts (opened_at DESC);

CREATE TABLE cs.alert_settings (
    only_one      boolean PRIMARY KEY DEFAULT true CHECK (only_one),
    resolve_after integer NOT NULL DEFAULT 3 CHECK (resolve_after >= 1)
);
INSERT INTO cs.alert_settings DEFAULT VALUES;

-- Who hears of an alert, and when: tier N is notified `after` the alert opened, if it is
-- still open (not acknowledged) and at least `min_severity`. A tier whose every message
-- failed (or that has no usable channel) hands over to the next tier at once.
CREATE TABLE cs.escalation_tiers (
    tier         integer PRIMARY KEY,
    after        interval    NOT NULL,
    channels     text[]      NOT NULL,   -- names in cs.channels
    recipients   text[]      NOT NULL DEFAULT '{}',  -- for email and SMS channels: the on-call
    min_severity text        NOT NULL DEFAULT 'warning',
    enabled      boolean     NOT NULL DEFAULT true,
    CONSTRAINT escalation_tiers_positive CHECK (tier >= 1),
    CONSTRAINT escalation_tiers_severity CHECK (min_severity IN ('warning', 'critical'))
);

INSERT INTO cs.escalation_tiers (tier, after, channels, min_severity) VALUES
    (1, interval '0', '{ops-slack}', 'warning'),
    (2, interval '10 minutes', '{ops-pagerduty}', 'warning'),
    (3, interval '30 minutes', '{ops-email,ops-sms}', 'warning');

COMMENT ON TABLE cs.escalation_tiers IS
    'Escalation policy. Set the on-call: UPDATE cs.escalation_tiers SET recipients = ''{oncall@example.com,+15550100}'' WHERE tier = 3;';

-- Each message sent about an alert, so resolution reaches the same places and a failing
-- channel is noticed.
CREATE TABLE cs.alert_notifications (
    alert_id    bigint      NOT NULL REFERENCES cs.alerts (id) ON DELETE CASCADE,
    tier        integer     NOT NULL,
    channel     text        NOT NULL,
    event       text        NOT NULL,   -- trigger, resolve
    delivery_id bigint      NOT NULL,
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (alert_id, tier, channel, event, delivery_id)
);

CREATE FUNCTION cs.severity_rank(severity text) RETURNS integer LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE severity WHEN 'critical' THEN 2 WHEN 'warning' THEN 1 ELSE 0 END
$$;

-- Records one monitor run's results. `ran` lists the checks that ran (a check that could not
-- run neither opens nor resolves its alerts: it raises 'check_failed' instead). `results`
-- holds the failing observations: [{check, subject, value, severity, message}].
CREATE FUNCTION cs.apply_health_results(ran text[], results jsonb, at timestamptz) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    r       record;
    needed  integer;
BEGIN
    SELECT resolve_after INTO needed FROM cs.alert_settings;
    FOR r IN SELECT x->>'check' AS check_key, coalesce(x->>'subject', '') AS subject,
                    (x->>'value')::double precision AS value, x->>'severity' AS severity, x->>'message' AS message
             FROM jsonb_array_elements(results) x
             WHERE x->>'severity' IN ('warning', 'critical') LOOP
        INSERT INTO cs.alerts AS a (check_key, subject, dedup_key, severity, message, value, opened_at, last_seen_at)
        VALUES (r.check_key, r.subject, r.check_key || ':' || r.subject, r.severity, r.message, r.value, at, at)
        ON CONFLICT (dedup_key) WHERE state <> 'resolved' DO UPDATE
            SET last_seen_at = EXCLUDED.last_seen_at, passing_runs = 0, value = EXCLUDED.value,
                message = EXCLUDED.message,
                severity = CASE WHEN cs.severity_rank(EXCLUDED.severity) > cs.severity_rank(a.severity)
                                THEN EXCLUDED.severity ELSE a.severity END;
    END LOOP;
    -- A pass for every live alert whose check ran and did not report it this time.
    UPDATE cs.alerts a
    SET passing_runs = a.passing_runs + 1,
        state = CASE WHEN a.passing_runs + 1 >= needed THEN 'resolved' ELSE a.state END,
        resolved_at = CASE WHEN a.passing_runs + 1 >= needed THEN at END,
        resolved_by = CASE WHEN a.passing_runs + 1 >= needed THEN 'monitor' END
    WHERE a.state <> 'resolved' AND a.last_seen_at < at
      AND a.check_key = ANY (ran)
      AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(results) x
                      WHERE x->>'check' = a.check_key AND coalesce(x->>'subject', '') = a.subject
                        AND x->>'severity' IN ('warning', 'critical'));
END $$;

-- The alert's text, for every channel: what, where, how bad, since when. Ids and figures only.
CREATE FUNCTION cs.alert_text(a cs.alerts, event text) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN event = 'resolve'
        THEN format('[cs-worker] RESOLVED %s%s (alert #%s, open since %s)', a.check_key,
                    CASE WHEN a.subject <> '' THEN ' (' || a.subject || ')' ELSE '' END, a.id,
                    to_char(a.opened_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI "UTC"'))
        ELSE format('[cs-worker] %s %s%s: %s (alert #%s, open since %s; `cs-worker alerts ack %s` stops escalation)',
                    upper(a.severity), a.check_key,
                    CASE WHEN a.subject <> '' THEN ' (' || a.subject || ')' ELSE '' END, a.message, a.id,
                    to_char(a.opened_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI "UTC"'), a.id) END
$$;

-- Queues the messages of one tier (trigger) or one resolution, through the outbox with its
-- retries. Returns how many were queued; a channel that does not exist, is disabled or (for
-- email and SMS) has no recipient is skipped.
CREATE FUNCTION cs.notify_alert(a cs.alerts, tier integer, channels text[], recipients text[], event text,
                                at timestamptz) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    c        record;
    rcpt     text;
    queued   integer := 0;
    body     text := cs.alert_text(a, event);
    payload  jsonb;
    delivery bigint;
BEGIN
    FOR c IN SELECT ch.name, ch.type FROM unnest(channels) AS n(name)
             JOIN cs.channels ch ON ch.name = n.name AND ch.enabled LOOP
        payload := CASE c.type
            WHEN 'pagerduty' THEN jsonb_build_object('event_action', event, 'dedup_key', 'cs-alert-' || a.id,
                                                     'severity', a.severity, 'source', 'cs-worker',
                                                     'component', a.check_key,
                                                     'custom_details', jsonb_build_object('subject', a.subject, 'value', a.value))
            ELSE jsonb_build_object('alert_id', a.id, 'event', event) END;
        FOR rcpt IN SELECT x FROM unnest(CASE WHEN c.type IN ('smtp', 'email_http', 'sms')
                                              THEN recipients ELSE ARRAY[NULL::text] END) AS x LOOP
            delivery := cs.enqueue_delivery(c.name, rcpt, left(body, 120), body, NULL, payload,
                                            format('alert:%s:%s:%s:%s:%s', a.id, tier, event, c.name, coalesce(rcpt, '')));
            INSERT INTO cs.alert_notifications (alert_id, tier, channel, event, delivery_id, created_at)
            VALUES (a.id, tier, c.name, event, delivery, at) ON CONFLICT DO NOTHING;
            queued := queued + 1;
        END LOOP;
    END LOOP;
    RETURN queued;
END $$;

-- True when the alert's current tier cannot be counted on: nothing was queued for it, or
-- every message to it failed or keeps failing (two attempts or more).
CREATE FUNCTION cs.alert_tier_failing(alert_id bigint, tier integer) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT NOT EXISTS (
        SELECT 1 FROM cs.alert_notifications n JOIN cs.deliveries d ON d.id = n.delivery_id
        WHERE n.alert_id = alert_tier_failing.alert_id AND n.tier = alert_tier_failing.tier AND n.event = 'trigger'
          AND NOT (d.status IN ('failed', 'cancelled') OR (d.status = 'retrying' AND d.attempts >= 2)))
$$;

-- Moves every open alert up the tiers that are due at `at` (the monitor's clock), and sends
-- resolutions for alerts resolved since the last call. Returns messages queued.
CREATE FUNCTION cs.escalate_alerts(at timestamptz) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    a      cs.alerts;
    t      cs.escalation_tiers;
    queued integer := 0;
    n      integer;
BEGIN
    FOR a IN SELECT * FROM cs.alerts WHERE state = 'open' ORDER BY id FOR UPDATE LOOP
        LOOP
            SELECT * INTO t FROM cs.escalation_tiers e
            WHERE e.tier > a.tier AND e.enabled AND cs.severity_rank(a.severity) >= cs.severity_rank(e.min_severity)
            ORDER BY e.tier LIMIT 1;
            EXIT WHEN NOT FOUND;
            EXIT WHEN NOT (a.opened_at + t.after <= at OR (a.tier > 0 AND cs.alert_tier_failing(a.id, a.tier)));
            n := cs.notify_alert(a, t.tier, t.channels, t.recipients, 'trigger', at);
            queued := queued + n;
            UPDATE cs.alerts SET tier = t.tier, escalated_at = at WHERE id = a.id;
            a.tier := t.tier;
            -- A tier with nothing usable passes straight on to the next one.
        END LOOP;
    END LOOP;
    FOR a IN SELECT * FROM cs.alerts WHERE state = 'resolved' AND resolve_notified_at IS NULL ORDER BY id FOR UPDATE LOOP
        IF a.tier > 0 THEN
            -- Resolve where the alert was raised: PagerDuty with the same dedup_key, and a
            -- "resolved" line to chat channels (no resolution e-mail or SMS at night).
            queued := queued + cs.notify_alert(a, 0, ARRAY(
                SELECT DISTINCT n.channel FROM cs.alert_notifications n JOIN cs.channels ch ON ch.name = n.channel
                WHERE n.alert_id = a.id AND n.event = 'trigger' AND ch.type IN ('pagerduty', 'slack', 'webhook')),
                '{}', 'resolve', at);
        END IF;
        UPDATE cs.alerts SET resolve_notified_at = at WHERE id = a.id;
    END LOOP;
    RETURN queued;
END $$;

-- Stops escalation; the alert still resolves when its check passes.
CREATE FUNCTION cs.acknowledge_alert(alert_id bigint, acknowledged_by text DEFAULT current_user) RETURNS text
LANGUAGE sql AS $$
    UPDATE cs.alerts SET state = 'acknowledged', acknowledged_at = now(), acknowledged_by = acknowledge_alert.acknowledged_by
    WHERE id = acknowledge_alert.alert_id AND state = 'open';
    SELECT state FROM cs.alerts WHERE id = acknowledge_alert.alert_id;
$$;

-- Resolves by hand (the monitor sends the resolutions on its next run).
CREATE FUNCTION cs.resolve_alert(alert_id bigint, resolved_by text DEFAULT current_user) RETURNS text
LANGUAGE sql AS $$
    UPDATE cs.alerts SET state = 'resolved', resolved_at = now(), resolved_by = resolve_alert.resolved_by
    WHERE id = resolve_alert.alert_id AND state <> 'resolved';
    SELECT state FROM cs.alerts WHERE id = resolve_alert.alert_id;
$$;

CREATE VIEW cs.open_alerts AS
SELECT id, severity, state, check_key, subject, message, tier, opened_at, last_seen_at, acknowledged_by
FROM cs.alerts WHERE state <> 'resolved'
ORDER BY cs.severity_rank(severity) DESC, opened_at;

-- The monitor's own job runs every minute from the schedule `schedule defaults` installs;
-- its runs are kept for 30 days by the monitor itself.
