-- 0008_job_row_checks.sql — cs.jobs refuses rows no worker could run, so one odd INSERT
-- cannot poison a claim batch, a queue, `status` or the operators' views.
--
-- Refused from now on:
--   * timestamps that are infinite or outside years 0001–9999 ('infinity', '-infinity',
--     year 10000 and later: the worker and the views cannot read them);
--   * attempt outside 0…max_attempts, max_attempts above 1000 (attempt + 1 must never
--     overflow smallint), and a job that may still run with no attempt left;
--   * a running job without a worker or a start time (the rescuer could never free it).
--
-- Rows written before this migration are repaired first, so the checks validate: jobs with
-- unreadable timestamps or impossible attempts are discarded with the reason in `errors`;
-- running rows without a worker or start time are handed to the rescuer.

UPDATE cs.jobs SET max_attempts = 1000 WHERE max_attempts > 1000;

UPDATE cs.jobs
SET state = 'discarded', worker_id = NULL,
    run_at = CASE WHEN run_at >= '0001-01-01' AND run_at < '10000-01-01' THEN run_at ELSE now() END,
    created_at = CASE WHEN created_at >= '0001-01-01' AND created_at < '10000-01-01' THEN created_at ELSE now() END,
    attempted_at = CASE WHEN attempted_at >= '0001-01-01' AND attempted_at < '10000-01-01' THEN attempted_at END,
    finalized_at = now(),
    attempt = least(greatest(attempt, 0), max_attempts),
    errors = errors || jsonb_build_array(jsonb_build_object('attempt', attempt, 'at', now(),
        'error', 'discarded by migration 0008: timestamp or attempt out of range'))
WHERE NOT (run_at >= '0001-01-01' AND run_at < '10000-01-01')
   OR NOT (created_at >= '0001-01-01' AND created_at < '10000-01-01')
   OR NOT coalesce(attempted_at >= '0001-01-01' AND attempted_at < '10000-01-01', true)
   OR NOT coalesce(finalized_at >= '0001-01-01' AND finalized_at < '10000-01-01', true)
   OR attempt < 0 OR attempt > max_attempts
   OR (state IN ('available', 'scheduled', 'retryable') AND attempt >= max_attempts);

UPDATE cs.jobs
SET worker_id = coalesce(worker_id, 'unknown (repaired by migration 0008)'),
    attempted_at = coalesce(attempted_at, now())
WHERE state = 'running' AND (worker_id IS NULL OR attempted_at IS NULL);

ALTER TABLE cs.jobs
    ADD CONSTRAINT jobs_timestamps_readable CHECK (
        run_at >= '0001-01-01' AND run_at < '10000-01-01'
        AND created_at >= '0001-01-01' AND created_at < '10000-01-01'
        AND (attempted_at IS NULL OR (attempted_at >= '0001-01-01' AND attempted_at < '10000-01-01'))
        AND (finalized_at IS NULL OR (finalized_at >= '0001-01-01' AND finalized_at < '10000-01-01'))),
    ADD CONSTRAINT jobs_attempt_in_range CHECK (attempt >= 0 AND attempt <= max_attempts),
    ADD CONSTRAINT jobs_max_attempts_bounded CHECK (max_attempts <= 1000),
    ADD CONSTRAINT jobs_live_attempt_left CHECK (state NOT IN ('available', 'scheduled', 'retryable') OR attempt < max_attempts),
    ADD CONSTRAINT jobs_running_has_worker CHECK (state <> 'running' OR (worker_id IS NOT NULL AND attempted_at IS NOT NULL));
