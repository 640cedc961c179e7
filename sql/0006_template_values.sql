-- 0006_template_values: values substituted into message templates are escaped for the
-- channel that will carry them, in one place. Templates are written by operators and
-- are left as they are; the values ({{account_name}}, {{owner}}, {{reason}}, …) come from
-- the host application's rows and must not become markup or header lines:
--   slack             control characters become spaces; & < > become &amp; &lt; &gt;
--                     (so "<!channel>" cannot ping a channel and "<https://x|Renew>"
--                     cannot disguise a link)
--   html              the five HTML specials (& < > " ') become entities
--   everything else   control characters (CR, LF, tab, …) become spaces

CREATE OR REPLACE FUNCTION cs.template_value(target text, value text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN value IS NULL THEN NULL
        WHEN target = 'slack' THEN
            replace(replace(replace(regexp_replace(value, '[\x01-\x1f\x7f]', ' ', 'g'),
                '&', '&amp;'), '<', '&lt;'), '>', '&gt;')
        WHEN target = 'html' THEN
            replace(replace(replace(replace(replace(regexp_replace(value, '[\x01-\x1f\x7f]', ' ', 'g'),
                '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), '"', '&quot;'), '''', '&#39;')
        ELSE regexp_replace(value, '[\x01-\x1f\x7f]', ' ', 'g')
    END
$$;

COMMENT ON FUNCTION cs.template_value(text, text) IS
    'A host-application value made safe for a template of the given target (a channel type, or html).';
