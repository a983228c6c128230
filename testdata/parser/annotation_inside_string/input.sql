INSERT INTO t VALUES ('
-- +goose Down
');
/*
-- +goose StatementEnd
*/
SELECT 1;
