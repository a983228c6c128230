-- MySQL names the index per table.
DROP INDEX posts_author_idx ON posts;
DROP TABLE posts;
