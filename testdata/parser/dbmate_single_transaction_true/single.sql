-- migrate:up transaction:true
CREATE TABLE t (id int);
-- migrate:down
