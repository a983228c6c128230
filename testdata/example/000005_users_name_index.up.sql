-- +strata NO TRANSACTION
-- Built without a transaction so PostgreSQL can build it CONCURRENTLY (see the .postgres file).
CREATE INDEX users_name_idx ON users (name);
