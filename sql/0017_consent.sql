-- 0017_consent.sql — a message to a contact goes out only with that contact's consent for its
-- purpose: product (service messages; cs.contacts.consent_product) or marketing
-- (consent_marketing). Without it the delivery ends 'suppressed' with the reason, checked when
-- the message is queued and again when it is about to be sent (consent can be withdrawn).

ALTER TABLE cs.deliveries ADD COLUMN purpose text NOT NULL DEFAULT 'product';
ALTER TABLE cs.deliveries ADD CONSTRAINT deliveries_purpose CHECK (purpose IN ('product', 'marketing'));
ALTER TABLE cs.deliveries DROP CONSTRAINT deliveries_status;
ALTER TABLE cs.deliveries ADD CONSTRAINT deliveries_status
    CHECK (status IN ('pending', 'sending', 'sent', 'retrying', 'failed', 'cancelled', 'unknown', 'suppressed'));

-- Why a message to `contact` for `purpose` may not be sent, or NULL when it may.
CREATE FUNCTION cs.consent_refusal(contact bigint, purpose text) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN contact IS NULL THEN NULL
        WHEN NOT EXISTS (SELECT 1 FROM cs.contacts c WHERE c.id = contact) THEN 'contact ' || contact || ' no longer exists (erased?)'
        WHEN purpose = 'marketing' AND NOT (SELECT c.consent_marketing FROM cs.contacts c WHERE c.id = contact)
            THEN 'contact ' || contact || ' has not consented to marketing messages'
        WHEN purpose = 'product' AND NOT (SELECT c.consent_product FROM cs.contacts c WHERE c.id = contact)
            THEN 'contact ' || contact || ' has not consented to product messages'
    END
$$;

-- At queueing time: a refused message is recorded as suppressed and gets no deliver job.
-- The purpose comes from the payload ("purpose": "marketing"), product by default.
CREATE FUNCTION cs.deliveries_check_consent() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    why text;
BEGIN
    NEW.purpose := coalesce(NEW.payload ->> 'purpose', NEW.purpose, 'product');
    why := cs.consent_refusal(NEW.contact_id, NEW.purpose);
    IF why IS NOT NULL THEN
        NEW.status := 'suppressed';
        NEW.last_error := why;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER deliveries_check_consent BEFORE INSERT ON cs.deliveries
    FOR EACH ROW WHEN (NEW.contact_id IS NOT NULL) EXECUTE FUNCTION cs.deliveries_check_consent();

-- No deliver job for a message suppressed on arrival (the outbox function queued one: cancel it).
CREATE FUNCTION cs.deliveries_skip_suppressed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'suppressed' AND NEW.job_id IS NOT NULL AND OLD.job_id IS NULL THEN
        UPDATE cs.jobs SET state = 'cancelled', finalized_at = now(),
               errors = errors || jsonb_build_array(jsonb_build_object('attempt', 0, 'at', now(), 'error', 'suppressed: ' || NEW.last_error))
        WHERE id = NEW.job_id AND state IN ('available', 'scheduled');
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER deliveries_skip_suppressed AFTER UPDATE OF job_id ON cs.deliveries
    FOR EACH ROW WHEN (NEW.status = 'suppressed') EXECUTE FUNCTION cs.deliveries_skip_suppressed();

ALTER FUNCTION cs.deliveries_check_consent() SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION cs.deliveries_skip_suppressed() SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
GRANT EXECUTE ON FUNCTION cs.consent_refusal(bigint, text) TO cs_worker;

-- Finished for the retention policies too.
UPDATE cs.retention_policies SET only_when = 'status IN (''sent'', ''failed'', ''cancelled'', ''unknown'', ''suppressed'')'
WHERE category IN ('delivery_content', 'deliveries');
