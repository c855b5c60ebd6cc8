-- unresolved: messages sent in the window whose send report is older than the cutoff, with no final outcome.
SELECT
    message_key,
    sent_at,
    carrier,
    number,
    status
FROM messages
WHERE sent_at >= :since AND sent_at <= :until AND sent_at < :cutoff
    AND status IN ('sent', 'unrecognised')
ORDER BY sent_at, message_key
