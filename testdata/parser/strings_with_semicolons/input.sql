INSERT INTO t VALUES ('a;b', 'it''s; fine', '-- not a comment', '/* nor this */');
INSERT INTO t VALUES ('multi
line; string');
SELECT "odd;column" FROM t;
SELECT '' AS empty, '''' AS quote;
