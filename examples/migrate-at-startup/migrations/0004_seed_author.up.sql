INSERT INTO authors (id, name) VALUES (1, 'first author');
