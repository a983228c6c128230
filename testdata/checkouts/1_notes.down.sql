DROP TABLE notes;
