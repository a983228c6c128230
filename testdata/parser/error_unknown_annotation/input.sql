-- +goose ENVSUB ON
SELECT 1;
