-- goose notation: one file, both directions.
-- +goose Up
CREATE TABLE roles (
    name        VARCHAR(32) NOT NULL PRIMARY KEY,
    description VARCHAR(200) NOT NULL
);
INSERT INTO roles (name, description) VALUES ('admin', 'Full access; can manage users');
INSERT INTO roles (name, description) VALUES ('editor', 'Writes and publishes posts');
INSERT INTO roles (name, description) VALUES ('reader', 'Reads published posts; the default');

-- +goose Down
DROP TABLE roles;
