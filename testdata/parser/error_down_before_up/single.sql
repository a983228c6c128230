-- +goose Down
DROP TABLE t;
-- +goose Up
CREATE TABLE t (id int);
