SELECT 0
-- +goose StatementBegin
CREATE FUNCTION f() RETURNS trigger AS $$
BEGIN
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd

-- +strata StatementBegin postgres
  -- comments inside a block are kept

  SELECT 'postgres only'; SELECT 'still one statement';
-- +strata StatementEnd
--+migrate statementbegin SQLite, MySQL
SELECT 'sqlite or mysql';
--   +MIGRATE StatementEnd
-- +goose StatementBegin postgresql mariadb
SELECT 'aliases'
-- +goose StatementEnd
-- +goose StatementBegin
-- +goose StatementEnd
SELECT 'after';
