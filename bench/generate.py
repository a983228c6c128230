#!/usr/bin/env python3
"""Benchmark workload generator for strata (issue 5).

Writes one workload directory, readable by strata AND dbmate, plus a concatenated
file for the raw clients (sqlite3, psql, mariadb):

    generate.py small   N OUT [--dialect D]   N migrations, each: a table + an index + 3 rows
    generate.py inserts N OUT [--dialect D]   one migration with N single-row INSERTs

Layout of OUT:
    OUT/migrations/00000000000001_create_t000001.sql   dbmate notation (-- migrate:up /
                                                       -- migrate:down), one file per migration
    OUT/all.sql                                        every up section in version order, each
                                                       migration wrapped in BEGIN/COMMIT (the
                                                       same transaction boundaries strata and
                                                       dbmate use)

Versions are 14 zero-padded digits (00000000000001 ...): dbmate sorts and records them as
strings, strata as integers; with a fixed width both orders are the same.
The dialect (sqlite, postgres, mysql) only changes the SQL where the engines differ; the SQL
used here is portable, so all three dialects currently produce the same text.
Python 3.11 standard library only.
"""
import argparse
import os
import shutil
import sys

DIALECTS = ("sqlite", "postgres", "mysql")


def version(i: int) -> str:
    return f"{i:014d}"


def table_sql(i: int, dialect: str) -> tuple[str, str]:
    t = f"t{i:06d}"
    # VARCHAR (not TEXT) so MySQL can index the column without a prefix length.
    id_type = "INTEGER" if dialect == "sqlite" else "INT"
    up = (
        f"CREATE TABLE {t} (id {id_type} NOT NULL PRIMARY KEY, name VARCHAR(64) NOT NULL, qty INT NOT NULL);\n"
        f"CREATE INDEX {t}_name ON {t} (name);\n"
        f"INSERT INTO {t} (id, name, qty) VALUES (1, 'alpha {i}', 10);\n"
        f"INSERT INTO {t} (id, name, qty) VALUES (2, 'beta {i}', 20);\n"
        f"INSERT INTO {t} (id, name, qty) VALUES (3, 'gamma {i}', 30);\n"
    )
    down = f"DROP TABLE {t};\n"
    return up, down


def write_migration(mdir: str, i: int, name: str, up_lines, down: str) -> None:
    path = os.path.join(mdir, f"{version(i)}_{name}.sql")
    with open(path, "w", encoding="utf-8") as f:
        f.write("-- migrate:up\n")
        for chunk in up_lines:
            f.write(chunk)
        f.write("\n-- migrate:down\n")
        f.write(down)


def gen_small(n: int, out: str, dialect: str) -> None:
    mdir = os.path.join(out, "migrations")
    with open(os.path.join(out, "all.sql"), "w", encoding="utf-8") as allf:
        for i in range(1, n + 1):
            up, down = table_sql(i, dialect)
            write_migration(mdir, i, f"create_t{i:06d}", [up], down)
            allf.write("BEGIN;\n" + up + "COMMIT;\n")


def insert_lines(n: int):
    for k in range(1, n + 1):
        yield (f"INSERT INTO seed_rows (id, name, note, qty) VALUES "
               f"({k}, 'name {k:07d}', 'seed row number {k} of the bench workload', {k % 1000});\n")


def gen_inserts(n: int, out: str, dialect: str) -> None:
    mdir = os.path.join(out, "migrations")
    id_type = "INTEGER" if dialect == "sqlite" else "INT"
    create = (f"CREATE TABLE seed_rows (id {id_type} NOT NULL PRIMARY KEY, name VARCHAR(64) NOT NULL, "
              f"note VARCHAR(200) NOT NULL, qty INT NOT NULL);\n")
    def up():
        yield create
        yield from insert_lines(n)
    write_migration(mdir, 1, "seed_rows", up(), "DROP TABLE seed_rows;\n")
    with open(os.path.join(out, "all.sql"), "w", encoding="utf-8") as allf:
        allf.write("BEGIN;\n")
        for chunk in up():
            allf.write(chunk)
        allf.write("COMMIT;\n")


def generate(kind: str, n: int, out: str, dialect: str = "sqlite") -> None:
    if n < 1:
        raise ValueError("N must be at least 1")
    if dialect not in DIALECTS:
        raise ValueError(f"unknown dialect {dialect!r}")
    if os.path.exists(out):
        shutil.rmtree(out)
    os.makedirs(os.path.join(out, "migrations"))
    {"small": gen_small, "inserts": gen_inserts}[kind](n, out, dialect)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("kind", choices=("small", "inserts"))
    ap.add_argument("n", type=int)
    ap.add_argument("out")
    ap.add_argument("--dialect", default="sqlite", choices=DIALECTS)
    a = ap.parse_args()
    try:
        generate(a.kind, a.n, a.out, a.dialect)
    except ValueError as e:
        print(f"generate.py: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
