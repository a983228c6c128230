-- +migrate Up notransaction
CREATE INDEX CONCURRENTLY i ON t (a);
-- +migrate Down
DROP INDEX i;
