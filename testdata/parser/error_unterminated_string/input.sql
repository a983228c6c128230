SELECT 1;
INSERT INTO t VALUES ('never
closed;
