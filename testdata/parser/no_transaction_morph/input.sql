-- morph:nontransactional
CREATE TABLE a (id INT);
