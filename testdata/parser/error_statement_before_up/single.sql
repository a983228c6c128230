-- comment is fine

CREATE TABLE t (id int);
-- +goose Up
SELECT 1;
