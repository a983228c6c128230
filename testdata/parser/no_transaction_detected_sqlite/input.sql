PRAGMA journal_mode = WAL;
PRAGMA foreign_keys = OFF;
CREATE TABLE vacuum_log (id INTEGER PRIMARY KEY);
