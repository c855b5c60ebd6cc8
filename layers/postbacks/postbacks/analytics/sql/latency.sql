-- latency: seconds from the send report to the final outcome, by carrier, for messages sent in the window.
SELECT
    carrier,
    count(*) AS messages,
    approx_percentile(seconds, 0.5) AS p50_seconds,
    approx_percentile(seconds, 0.95) AS p95_seconds,
    approx_percentile(seconds, 0.99) AS p99_seconds
FROM (
    SELECT
        carrier,
        date_diff('millisecond', from_iso8601_timestamp(sent_at), from_iso8601_timestamp(decided_at))
        / 1000.0 AS seconds
    FROM messages
    WHERE is_mt AND sent_at >= :since AND sent_at <= :until
        AND status IN ('delivered', 'failed', 'expired', 'rejected', 'not_supported')
) AS outcomes
GROUP BY carrier
ORDER BY carrier
