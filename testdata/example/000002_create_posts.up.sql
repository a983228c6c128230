CREATE TABLE posts (
    id        BIGINT NOT NULL PRIMARY KEY,
    author_id BIGINT NOT NULL REFERENCES users (id),
    title     VARCHAR(200) NOT NULL,
    body      TEXT NOT NULL,
    published BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE INDEX posts_author_idx ON posts (author_id);
