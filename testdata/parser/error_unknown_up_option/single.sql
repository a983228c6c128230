-- +migrate Up sometimes
SELECT 1;
