SELECT 1;
-- +goose StatementBegin postgres, oracle
SELECT 2;
-- +goose StatementEnd
