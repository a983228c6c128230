-- +goose Up
-- +goose StatementBegin
CREATE TABLE t (id int);
-- +goose Down
DROP TABLE t;
