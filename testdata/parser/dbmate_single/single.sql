-- migrate:up
CREATE TABLE t (id int);
INSERT INTO t VALUES (1)

-- migrate:down transaction:false
DROP TABLE t;
