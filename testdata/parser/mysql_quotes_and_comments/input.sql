SELECT `a;b`, `x``y;` FROM t;
INSERT INTO t VALUES ('it\'s; ok', "say \"hi\";", 'dbl''s;', "dbl"";");
# hash comment; not a statement
SELECT 5 --1;
SELECT 6 -- real comment; here
;
SELECT 7 --
;
