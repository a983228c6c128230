-- +goose Up
-- +goose StatementBegin sqlite
CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT);
-- +goose StatementEnd
-- +goose StatementBegin postgres, mysql
CREATE TABLE t (id serial PRIMARY KEY);
-- +goose StatementEnd
-- +goose Down
DROP TABLE t;
