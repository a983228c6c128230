#!/usr/bin/env python3
"""Benchmark workload generator for strata (issue 5).

Writes one workload directory, readable by strata AND dbmate, plus a concatenated
file for the raw clients (sqlite3, psql, mariadb):

    generate.py small   N    OUT [--dialect D]   N migrations, each: a table + an index + 3 rows
    generate.py inserts N    OUT [--dialect D]   one migration with N single-row INSERTs
    generate.py seed    SIZE OUT [--dialect D]   one migration of SIZE bytes (suffix K, M or G:
                                                 1024M = 1 GiB): a CREATE TABLE, then as many
                                                 single-row INSERTs as it takes to reach SIZE

Layout of OUT:
    OUT/migrations/00000000000001_create_t000001.sql   dbmate notation (-- migrate:up /
                                                       -- migrate:down), one file per migration
    OUT/all.sql                                        every up section in version order, each
                                                       migration wrapped in BEGIN/COMMIT (the
                                                       same transaction boundaries strata and
                                                       dbmate use)
    OUT/all-tracked.sql                                `small` only: all.sql plus the
                                                       bookkeeping strata sends for each
                                                       migration (version row, history row;
                                                       on MySQL also the dirty mark before the
                                                       migration and the `running` row's
                                                       update before each of its batches),
                                                       for the `tracked` tool

`seed` writes no all.sql, so that a 1 GB workload takes 1 GB on disk, not 2: its migration has
an empty down section, so the raw clients run the migration file itself (its `-- migrate:` lines
are SQL comments), in one transaction through their own options (see bench/run.py). It is
written in chunks of a few MB (the generator's memory does not grow with SIZE), and prints its row
count, which the runner checks after each run.

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


def tracker_tables(dialect: str) -> str:
    # The same tables strata creates (src/tracker/tracker.cpp).
    if dialect == "mysql":
        id_col, text = "id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY", "VARCHAR(255)"
    elif dialect == "postgres":
        id_col, text = "id BIGSERIAL PRIMARY KEY", "TEXT"
    else:
        id_col, text = "id INTEGER PRIMARY KEY", "TEXT"
    return ("CREATE TABLE schema_migrations (version BIGINT NOT NULL PRIMARY KEY, dirty BOOLEAN NOT NULL);\n"
            f"CREATE TABLE schema_migrations_history ({id_col}, version BIGINT NOT NULL, name {text} NOT NULL, "
            "direction VARCHAR(8) NOT NULL, checksum VARCHAR(64) NOT NULL, applied_at VARCHAR(32) NOT NULL, "
            f"duration_ms DOUBLE PRECISION NOT NULL, applied_by {text} NOT NULL, outcome VARCHAR(16) NOT NULL, "
            "detail TEXT);\n")


def tracked_migration(i: int, up: str, dialect: str) -> str:
    """The statements strata sends for migration i, bookkeeping included, as one client script."""
    def version_row(dirty: str) -> str:
        return (f"DELETE FROM schema_migrations;\n"
                f"INSERT INTO schema_migrations (version, dirty) VALUES ({i}, '{dirty}');\n")

    def history(outcome: str, detail: str) -> str:
        return ("INSERT INTO schema_migrations_history (version, name, direction, checksum, applied_at, duration_ms, "
                f"applied_by, outcome, detail) VALUES ({i}, 'create_t{i:06d}', 'up', '{'0' * 64}', "
                f"'2026-01-01T00:00:00Z', '1.000', 'bench@host', '{outcome}', {detail});\n")

    if dialect != "mysql":  # one transaction: the migration, then the version and history rows
        return "BEGIN;\n" + up + version_row("0") + history("applied", "NULL") + "COMMIT;\n"
    # MySQL: DDL commits, so the migration runs outside a transaction, between a dirty mark with a
    # `running` history row and the clean version; strata batches the INSERTs in a transaction.
    # Before each batch after the first (each DDL statement is a batch of its own, the INSERTs
    # one batch), the `running` row is updated to name it, so a crash finds it on record.
    def running(statement: int) -> str:
        return ("UPDATE schema_migrations_history SET name = 'create_t{0:06d}', direction = 'up', checksum = '{1}', "
                "applied_at = '2026-01-01T00:00:00Z', duration_ms = '1.000', applied_by = 'bench@host', "
                "outcome = 'running', detail = '{{\"statement\":{2}}}' WHERE id = {3};\n").format(
                    i, "0" * 64, statement, i)

    ddl = [line + "\n" for line in up.splitlines() if not line.startswith("INSERT")]
    inserts = "".join(line + "\n" for line in up.splitlines() if line.startswith("INSERT"))
    return ("START TRANSACTION;\n" + version_row("1") + history("running", "'{\"statement\":1}'") +
            "SELECT MAX(id) FROM schema_migrations_history;\nCOMMIT;\n" +
            "".join((running(k + 1) if k > 0 else "") + stmt for k, stmt in enumerate(ddl)) +
            running(len(ddl) + 1) + "START TRANSACTION;\n" + inserts + "COMMIT;\n" +
            "START TRANSACTION;\n" + version_row("0") +
            "UPDATE schema_migrations_history SET outcome = 'applied', duration_ms = '2.000', detail = NULL "
            f"WHERE id = {i};\nCOMMIT;\n")


def gen_small(n: int, out: str, dialect: str) -> None:
    mdir = os.path.join(out, "migrations")
    with open(os.path.join(out, "all.sql"), "w", encoding="utf-8") as allf, \
            open(os.path.join(out, "all-tracked.sql"), "w", encoding="utf-8") as trackedf:
        trackedf.write(tracker_tables(dialect))
        for i in range(1, n + 1):
            up, down = table_sql(i, dialect)
            write_migration(mdir, i, f"create_t{i:06d}", [up], down)
            allf.write("BEGIN;\n" + up + "COMMIT;\n")
            trackedf.write(tracked_migration(i, up, dialect))


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


SEED_ROW = ("INSERT INTO seed_rows (id, name, note, qty) VALUES "
            "(%d, 'name %08d', 'seed row number %d of the bench workload', %d);\n")
SEED_DOWN = ("\n-- migrate:down\n"
             "-- (empty on purpose: the raw clients run this file as it is; see generate.py)\n")
SEED_CHUNK_ROWS = 32768  # about 3.5 MB per write


def seed_path(out: str) -> str:
    return os.path.join(out, "migrations", f"{version(1)}_seed_rows.sql")


def gen_seed(size: int, out: str, dialect: str) -> int:
    """Writes the seed migration; returns its number of rows (the smallest that reaches size)."""
    id_type = "INTEGER" if dialect == "sqlite" else "INT"
    head = ("-- migrate:up\n"
            f"CREATE TABLE seed_rows (id {id_type} NOT NULL PRIMARY KEY, name VARCHAR(64) NOT NULL, "
            "note VARCHAR(200) NOT NULL, qty INT NOT NULL);\n").encode()
    down = SEED_DOWN.encode()
    rows = 0
    with open(seed_path(out), "wb") as f:
        f.write(head)
        written = len(head) + len(down)
        while True:
            lines = [SEED_ROW % (k, k, k, k % 1000) for k in range(rows + 1, rows + SEED_CHUNK_ROWS + 1)]
            chunk = "".join(lines).encode()
            if written + len(chunk) >= size:  # last chunk: only the rows needed to reach size
                used = 0
                for line in lines:
                    if written >= size and rows > 0:
                        break
                    used += len(line)  # ASCII: characters = bytes
                    written += len(line)
                    rows += 1
                f.write(chunk[:used])
                break
            f.write(chunk)
            written += len(chunk)
            rows += SEED_CHUNK_ROWS
        f.write(down)
    return rows


def parse_size(text: str) -> int:
    """'1024M' -> bytes; suffixes K, M, G (powers of 1024), optional B/iB; a bare number is bytes."""
    t = text.strip().upper().removesuffix("B").removesuffix("I")
    mult = 1
    if t and t[-1] in "KMG":
        mult = 1024 ** ("KMG".index(t[-1]) + 1)
        t = t[:-1]
    try:
        value = float(t)
    except ValueError:
        raise ValueError(f"bad size {text!r} (examples: 1024M, 1G, 50M, 500000)")
    return int(value * mult)


def generate(kind: str, n: int, out: str, dialect: str = "sqlite") -> int:
    """Writes the workload; returns its row count for `seed` (n otherwise). n is bytes for seed."""
    if n < 1:
        raise ValueError("N must be at least 1")
    if dialect not in DIALECTS:
        raise ValueError(f"unknown dialect {dialect!r}")
    if os.path.exists(out):
        shutil.rmtree(out)
    os.makedirs(os.path.join(out, "migrations"))
    if kind == "seed":
        return gen_seed(n, out, dialect)
    {"small": gen_small, "inserts": gen_inserts}[kind](n, out, dialect)
    return n


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("kind", choices=("small", "inserts", "seed"))
    ap.add_argument("n", help="N (small, inserts) or SIZE (seed: bytes, or with a K/M/G suffix)")
    ap.add_argument("out")
    ap.add_argument("--dialect", default="sqlite", choices=DIALECTS)
    a = ap.parse_args()
    try:
        n = parse_size(a.n) if a.kind == "seed" else int(a.n)
        rows = generate(a.kind, n, a.out, a.dialect)
        if a.kind == "seed":
            print(f"{seed_path(a.out)}: {os.path.getsize(seed_path(a.out))} bytes, {rows} rows")
    except ValueError as e:
        print(f"generate.py: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
