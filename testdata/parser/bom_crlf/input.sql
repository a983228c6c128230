CREATE TABLE t (
  id int
);

SELECT 1;
SELECT 2