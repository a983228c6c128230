-- +goose Up
SELECT 1;
-- +strata Up
SELECT 2;
