-- +goose Up
CREATE TABLE t (id INT);
-- +goose StatementBegin
VACUUM;
-- +goose StatementEnd
-- +goose Down
DROP TABLE t;
