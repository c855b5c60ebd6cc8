-- Every report's base: one row per message, its status by the status rule, whatever the order or the
-- duplication of its postbacks. `precedence` is the stored item's sort key, whose string order is the
-- rule's order (rank, vendor time, tie precedence, fingerprint): the greatest one decides, as in `show`.
postbacks AS (
    -- Firehose and EventBridge deliver at least once: a postback counts once, by its event id.
    SELECT DISTINCT
        detail.message_key AS message_key,
        detail.event_id AS event_id,
        detail.precedence AS precedence,
        detail.event_at AS event_at,
        detail.postback.kind AS kind,
        detail.postback.status AS status,
        detail.postback.code AS code,
        detail.postback.status_text AS status_text,
        detail.postback.operator_name AS operator_name,
        detail.postback.operator_id AS operator_id,
        CASE WHEN detail.postback.kind IN ('sms_mo', 'mms_mo') THEN detail.postback."to"
            ELSE coalesce(detail.postback.shortcode, detail.postback."from") END AS shortcode,
        CASE WHEN detail.postback.kind IN ('sms_mo', 'mms_mo') THEN detail.postback."from"
            ELSE detail.postback."to" END AS number,
        detail.postback.mms_id AS mms_id,
        coalesce(detail.postback.campaign_id, detail.postback.client_reference) AS campaign,
        -- The vendor's KEYWORD, else the MO text's first word: what an SMS keyword is.
        upper(coalesce(detail.postback.keyword, nullif(split_part(trim(detail.postback.text), ' ', 1), ''))) AS keyword
    FROM postback_events
    WHERE dt BETWEEN :first_day AND :last_day AND detail_type = 'Postback Received'
),
messages AS (
    SELECT
        message_key,
        count_if(kind IN ('sms_mt', 'mms_mt')) > 0 AS is_mt,
        count_if(kind IN ('sms_mo', 'mms_mo')) > 0 AS is_mo,
        max_by(status, precedence) AS status,
        max_by(code, precedence) AS code,
        max_by(status_text, precedence) AS status_text,
        max_by(event_at, precedence) AS decided_at,
        min(event_at) AS first_at,
        -- The send report's own vendor time, its arrival when it has none (event_at is exactly that).
        min(event_at) FILTER (WHERE status = 'sent') AS sent_at,
        -- Each attribute from the highest-precedence postback that carries it.
        coalesce(
            max_by(operator_name, precedence) FILTER (WHERE operator_name IS NOT NULL),
            max_by(operator_id, precedence) FILTER (WHERE operator_id IS NOT NULL),
            '(unknown)'
        ) AS carrier,
        max_by(shortcode, precedence) FILTER (WHERE shortcode IS NOT NULL) AS shortcode,
        max_by(number, precedence) FILTER (WHERE number IS NOT NULL) AS number,
        max_by(mms_id, precedence) FILTER (WHERE mms_id IS NOT NULL) AS mms_id,
        max_by(campaign, precedence) FILTER (WHERE campaign IS NOT NULL) AS campaign,
        max_by(keyword, precedence) FILTER (WHERE keyword IS NOT NULL) AS keyword
    FROM postbacks
    GROUP BY message_key
)
