-- inbound: mobile-originated messages (SMS and MMS) received in the window, by shortcode and keyword.
SELECT
    coalesce(shortcode, '(none)') AS shortcode,
    coalesce(keyword, '(none)') AS keyword,
    count(*) AS messages
FROM messages
WHERE is_mo AND first_at >= :since AND first_at <= :until
GROUP BY 1, 2
ORDER BY messages DESC, shortcode, keyword
