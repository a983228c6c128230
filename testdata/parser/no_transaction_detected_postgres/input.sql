-- Only statements PostgreSQL refuses in a transaction: the file runs without one, no annotation needed.
CREATE INDEX /* online */ CONCURRENTLY users_name_idx ON users (name);
DROP INDEX CONCURRENTLY IF EXISTS users_old_idx;
