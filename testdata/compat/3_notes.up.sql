-- morph:nontransactional
CREATE TABLE notes (id INTEGER PRIMARY KEY, body VARCHAR(200));
