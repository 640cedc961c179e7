-- 0013_console.sql — what the web console reads cheaply: each account's current health in
-- one row, job throughput per minute, and failing jobs by id.

-- The latest score of every account, kept by a statement-level trigger on cs.health_scores
-- (one upsert per scoring batch, not per row), so "accounts at risk" sorts 100,000 accounts
-- without finding each one's newest score first.
CREATE TABLE cs.account_health_current (
    account_id        bigint PRIMARY KEY,
    score             numeric(5, 2)    NOT NULL,
    band              text             NOT NULL,
    trend             numeric(6, 2),
    churn_probability double precision,
    scored_at         timestamptz      NOT NULL,
    health_score_id   bigint           NOT NULL
);
CREATE INDEX account_health_current_score ON cs.account_health_current (score, account_id);
CREATE INDEX account_health_current_churn ON cs.account_health_current (churn_probability DESC NULLS LAST, account_id);
-- "Accounts at risk" by MRR or renewal walks active accounts in that order and stops at a page.
CREATE INDEX accounts_active_mrr ON cs.accounts (mrr DESC, id) WHERE status = 'active';
CREATE INDEX accounts_active_renewal ON cs.accounts (renewal_date, id) WHERE status = 'active';

CREATE FUNCTION cs.health_scores_keep_current() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO cs.account_health_current AS c (account_id, score, band, trend, churn_probability, scored_at, health_score_id)
    SELECT DISTINCT ON (n.account_id) n.account_id, n.score, n.band, n.trend, n.churn_probability, n.scored_at, n.id
    FROM new_scores n
    ORDER BY n.account_id, n.scored_at DESC, n.id DESC
    ON CONFLICT (account_id) DO UPDATE
        SET score = EXCLUDED.score, band = EXCLUDED.band, trend = EXCLUDED.trend,
            churn_probability = EXCLUDED.churn_probability, scored_at = EXCLUDED.scored_at,
            health_score_id = EXCLUDED.health_score_id
        WHERE (EXCLUDED.scored_at, EXCLUDED.health_score_id) >= (c.scored_at, c.health_score_id);
    RETURN NULL;
END $$;

CREATE TRIGGER health_scores_keep_current AFTER INSERT ON cs.health_scores
    REFERENCING NEW TABLE AS new_scores
    FOR EACH STATEMENT EXECUTE FUNCTION cs.health_scores_keep_current();

INSERT INTO cs.account_health_current (account_id, score, band, trend, churn_probability, scored_at, health_score_id)
SELECT DISTINCT ON (account_id) account_id, score, band, trend, churn_probability, scored_at, id
FROM cs.health_scores ORDER BY account_id, scored_at DESC, id DESC;

-- Jobs finished per minute and queue, written by the leader once each minute has passed
-- (from the BRIN range of finalized_at), so the console's throughput chart reads 60 rows.
CREATE TABLE cs.job_throughput (
    minute    timestamptz NOT NULL,
    queue     text        NOT NULL,
    completed integer     NOT NULL,
    failed    integer     NOT NULL,   -- discarded or cancelled
    PRIMARY KEY (minute, queue)
);

-- The console's "failing jobs" by newest first without walking every completed row.
CREATE INDEX jobs_problems ON cs.jobs (id) WHERE state IN ('retryable', 'discarded', 'cancelled');
