CREATE INDEX CONCURRENTLY i ON t (a);
-- +strata NoTransaction
