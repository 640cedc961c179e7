-- 0010_delivery_guarantee.sql — at-least-once or at-most-once, per channel.
--
-- A worker that dies between the provider's answer and our record leaves a delivery
-- 'sending': nobody knows whether the provider has it. By default (at_least_once) it is sent
-- again with the same idempotency key, which providers that dedupe (PagerDuty dedup_key,
-- SendGrid/Twilio Idempotency-Key, SMTP Message-ID for most clients) absorb. Slack incoming
-- webhooks have no idempotency key, so a channel may say
--     options = options || '{"delivery": "at_most_once"}'
-- and such a delivery is then not sent again: it ends 'unknown' and is reported.

ALTER TABLE cs.deliveries DROP CONSTRAINT deliveries_status;
ALTER TABLE cs.deliveries ADD CONSTRAINT deliveries_status
    CHECK (status IN ('pending', 'sending', 'sent', 'retrying', 'failed', 'cancelled', 'unknown'));
COMMENT ON COLUMN cs.deliveries.status IS
    'pending, sending, sent, retrying, failed, cancelled, or unknown (an at_most_once channel''s interrupted send, not repeated)';
