-- +migrate Up
CREATE TABLE a (id INT);
-- +migrate Down
DROP TABLE a;
-- morph:nontransactional
