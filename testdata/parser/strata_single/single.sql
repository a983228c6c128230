/* header
   comment */
-- +strata Up
CREATE TABLE t (id int);
-- +strata Down
DROP TABLE t;
