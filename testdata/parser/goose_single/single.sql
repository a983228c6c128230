-- Leading comments are fine.

-- +goose Up
-- +goose StatementBegin
CREATE TABLE t (id int);
-- +goose StatementEnd
INSERT INTO t VALUES (1);

-- +goose Down
DROP TABLE t;
