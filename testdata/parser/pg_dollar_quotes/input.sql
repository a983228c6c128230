CREATE FUNCTION add(a integer, b integer) RETURNS integer AS $$
  SELECT a + b; -- semicolon inside
$$ LANGUAGE sql;

CREATE FUNCTION outer_fn() RETURNS void AS $body$
BEGIN
  EXECUTE $inner$ SELECT 'x;y'; $inner$;
  RAISE NOTICE '$$ is not the end here;';
END;
$body$ LANGUAGE plpgsql;

PREPARE q (int) AS SELECT $1 + 1; EXECUTE q(2);
SELECT a$b$c FROM t$x;
SELECT $_tag$ it's $ fine; $_tag$;
