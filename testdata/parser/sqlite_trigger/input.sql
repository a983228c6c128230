CREATE TABLE t (id INTEGER, backend TEXT, n INTEGER);
CREATE TRIGGER t_upd AFTER UPDATE ON t
BEGIN
  UPDATE t SET n = CASE WHEN NEW.n > 0 THEN NEW.n ELSE 0 END WHERE id = NEW.id;
  INSERT INTO log VALUES ('END; not the end');
END;
create temp trigger t_ins after insert on t begin
  select case new.backend when 'a' then 1 else case when 1 then 2 end end;
  select 1; /* end; */ -- end;
end;
CREATE TEMPORARY TRIGGER IF NOT EXISTS t_del BEFORE DELETE ON t BEGIN SELECT RAISE(ABORT, 'no'); END;
SELECT [a;b], `c;d` FROM t;
