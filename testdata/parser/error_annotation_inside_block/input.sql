-- +goose StatementBegin
SELECT 1;
-- +goose NO TRANSACTION
-- +goose StatementEnd
