-- +goose StatementBegin sqlite
SELECT 1;
-- +goose StatementEnd
-- +goose Up
SELECT 2;
