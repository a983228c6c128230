SELECT 1;
-- +strata
