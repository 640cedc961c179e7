-- 0007_snoozes.sql — putting a job or a delivery off is not a failed attempt.
--
-- A delivery held back by our own rate limit or an open circuit breaker never reached the
-- provider: its job is snoozed (back to 'scheduled' with its attempt given back) and the
-- wait is counted here instead. What bounds a snoozed delivery is its age, not its attempts.

ALTER TABLE cs.jobs ADD COLUMN snoozes integer NOT NULL DEFAULT 0;
COMMENT ON COLUMN cs.jobs.snoozes IS
    'Times the job was put off without spending an attempt (a local rate limit, an open circuit breaker).';

ALTER TABLE cs.deliveries ADD COLUMN deferrals integer NOT NULL DEFAULT 0;
COMMENT ON COLUMN cs.deliveries.deferrals IS
    'Times the delivery was held back before calling the provider (rate limit, open circuit); not attempts.';
