ALTER TABLE posts ADD COLUMN updated_at TIMESTAMP;

-- Keep updated_at current; each engine has its own trigger syntax.
-- +strata StatementBegin sqlite
CREATE TRIGGER posts_touch AFTER UPDATE OF title, body ON posts
BEGIN
    UPDATE posts SET updated_at = CURRENT_TIMESTAMP WHERE id = NEW.id;
END;
-- +strata StatementEnd
-- +strata StatementBegin postgres
CREATE FUNCTION posts_touch() RETURNS trigger AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
-- +strata StatementEnd
-- +strata StatementBegin postgres
CREATE TRIGGER posts_touch BEFORE UPDATE ON posts
    FOR EACH ROW EXECUTE FUNCTION posts_touch();
-- +strata StatementEnd
-- +strata StatementBegin mysql
CREATE TRIGGER posts_touch BEFORE UPDATE ON posts
    FOR EACH ROW SET NEW.updated_at = CURRENT_TIMESTAMP;
-- +strata StatementEnd
