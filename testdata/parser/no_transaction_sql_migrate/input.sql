-- +migrate notransaction
CREATE INDEX CONCURRENTLY i ON t (a);
