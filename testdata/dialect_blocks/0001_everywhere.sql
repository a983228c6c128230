-- +strata Up
CREATE TABLE items (id INTEGER NOT NULL PRIMARY KEY, label VARCHAR(50) NOT NULL);
-- +strata StatementBegin sqlite
CREATE TRIGGER items_label AFTER INSERT ON items
BEGIN
  UPDATE items SET label = upper(label) WHERE id = NEW.id;
END;
-- +strata StatementEnd
-- +strata StatementBegin postgres, mysql
CREATE VIEW items_upper AS SELECT id, upper(label) AS label FROM items;
-- +strata StatementEnd
-- +strata Down
-- +strata StatementBegin sqlite
DROP TRIGGER items_label;
-- +strata StatementEnd
-- +strata StatementBegin postgres, mysql
DROP VIEW items_upper;
-- +strata StatementEnd
DROP TABLE items;
