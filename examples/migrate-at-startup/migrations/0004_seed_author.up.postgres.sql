-- PostgreSQL: the same row, and an upsert so that a database seeded by hand keeps working.
INSERT INTO authors (id, name) VALUES (1, 'first author') ON CONFLICT (id) DO NOTHING;
