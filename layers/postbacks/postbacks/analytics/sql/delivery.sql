-- delivery: MT messages first seen in the window, per day or per --by key: each counted once, by its status.
SELECT
    coalesce(CASE :by
        WHEN 'carrier' THEN carrier
        WHEN 'shortcode' THEN shortcode
        WHEN 'campaign' THEN campaign
        WHEN 'mms-id' THEN mms_id
        WHEN 'code' THEN code
        ELSE substr(first_at, 1, 10)
    END, '(none)') AS group_key,
    count(*) AS messages,
    count_if(status = 'delivered') AS delivered,
    count_if(status IN ('failed', 'expired', 'rejected', 'not_supported')) AS failed,
    count_if(status = 'expired') AS expired,
    count_if(status = 'rejected') AS rejected,
    count_if(status = 'not_supported') AS not_supported,
    count_if(status NOT IN ('delivered', 'failed', 'expired', 'rejected', 'not_supported')) AS pending,
    -- Delivered over the messages with a final outcome, as `postbacks stats` computes it.
    round(
        CAST(count_if(status = 'delivered') AS double)
        / nullif(count_if(status IN ('delivered', 'failed', 'expired', 'rejected', 'not_supported')), 0),
        4
    ) AS delivery_rate
FROM messages
WHERE is_mt AND first_at >= :since AND first_at <= :until
GROUP BY 1
ORDER BY 1
