-- +goose StatementBegin mysql
CREATE TABLE t (id int);
