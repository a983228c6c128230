-- migrate:sideways
SELECT 1;
