-- 0009_schedule_checks.sql — a schedule row the leader cannot use is refused on insert, and
-- one that goes bad anyway is set aside alone with its reason instead of stopping cron.
--
-- Refused: an empty kind or queue, a cron text that is not five fields or an @macro,
-- max_attempts outside 1…1000, slots that are not readable timestamps. Rows written
-- before are repaired first (unreadable slots cleared, so the leader computes them again;
-- rows with an empty kind disabled with the reason).
-- `last_error` says why the leader set a schedule aside (it then disables it); editing the
-- schedule (`schedule add` again, or UPDATE … SET enabled = true) puts it back.

ALTER TABLE cs.schedules ADD COLUMN last_error text;

UPDATE cs.schedules SET next_slot = NULL WHERE NOT (next_slot >= '0001-01-01' AND next_slot < '10000-01-01');
UPDATE cs.schedules SET last_slot = NULL WHERE NOT (last_slot >= '0001-01-01' AND last_slot < '10000-01-01');
UPDATE cs.schedules SET max_attempts = least(greatest(max_attempts, 1), 1000) WHERE max_attempts NOT BETWEEN 1 AND 1000;
UPDATE cs.schedules SET kind = 'invalid', enabled = false, last_error = 'disabled by migration 0009: empty kind'
WHERE kind = '';
UPDATE cs.schedules SET queue = 'default', enabled = false, last_error = 'disabled by migration 0009: empty queue'
WHERE queue = '';
UPDATE cs.schedules SET cron = '@yearly', enabled = false,
       last_error = 'disabled by migration 0009: cron text was not five fields or an @macro'
WHERE cron !~ '^\s*(@[a-z]+|\S+\s+\S+\s+\S+\s+\S+\s+\S+)\s*$';

ALTER TABLE cs.schedules
    ADD CONSTRAINT schedules_kind_not_empty CHECK (kind <> ''),
    ADD CONSTRAINT schedules_queue_not_empty CHECK (queue <> ''),
    ADD CONSTRAINT schedules_cron_shape CHECK (cron ~ '^\s*(@[a-z]+|\S+\s+\S+\s+\S+\s+\S+\s+\S+)\s*$'),
    ADD CONSTRAINT schedules_max_attempts_range CHECK (max_attempts BETWEEN 1 AND 1000),
    ADD CONSTRAINT schedules_slots_readable CHECK (
        (next_slot IS NULL OR (next_slot >= '0001-01-01' AND next_slot < '10000-01-01'))
        AND (last_slot IS NULL OR (last_slot >= '0001-01-01' AND last_slot < '10000-01-01')));
