INSERT INTO t VALUES ('café;', 'Grüße');
SELECT ÿþ;
SELECT 'ok âœ“';
