-- +goose StatementBegin
SELECT 1;
-- +goose StatementBegin
-- +goose StatementEnd
