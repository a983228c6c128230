DELETE FROM authors WHERE id = 1;
