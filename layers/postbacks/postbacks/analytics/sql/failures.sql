-- failures: messages whose status is a failure, by carrier, code and the vendor's text.
SELECT
    carrier,
    code,
    status,
    coalesce(status_text, '') AS status_text,
    count(*) AS messages
FROM messages
WHERE first_at >= :since AND first_at <= :until
    AND status IN ('failed', 'expired', 'rejected', 'not_supported', 'encoding_failed')
GROUP BY carrier, code, status, coalesce(status_text, '')
ORDER BY messages DESC, carrier, code, status, status_text
