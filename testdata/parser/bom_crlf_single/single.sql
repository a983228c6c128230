-- +goose Up
CREATE TABLE t (id int);
-- +goose StatementBegin
SELECT 1;
-- +goose StatementEnd
-- +goose Down
DROP TABLE t;
