SELECT 1;
-- +goose StatementBegin
CREATE TABLE t (id int);
