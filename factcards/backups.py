"""Whole-database backups while the site runs: SQLite's online backup, PostgreSQL's pg_dump.

A backup is the database itself, not a re-encoding of it: everything (history, sessions,
users' password hashes) comes back as it was. Keep the files where you keep secrets.
"""

import os
import secrets
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.core.management.base import CommandError
from django.db import connections


def engine(alias="default"):
    name = connections[alias].settings_dict["ENGINE"]
    if name.endswith("sqlite3"):
        return "sqlite"
    if name.endswith("postgresql"):
        return "postgresql"
    raise CommandError(f"Backups know SQLite and PostgreSQL, not {name}.")


def default_name(alias, stamp):
    return f"backup-{stamp}." + ("sqlite3" if engine(alias) == "sqlite" else "dump")


def libpq_environment(alias):
    """The connection as libpq's variables: no password on a command line (ps shows those)."""
    settings = connections[alias].settings_dict
    values = {
        "PGHOST": settings["HOST"],
        "PGPORT": str(settings["PORT"] or ""),
        "PGUSER": settings["USER"],
        "PGPASSWORD": settings["PASSWORD"],
        "PGDATABASE": settings["NAME"],
    }
    return {**os.environ, **{name: value for name, value in values.items() if value}}


def postgres_tool(name):
    path = shutil.which(name)
    if path is None:
        raise CommandError(f"{name} is not installed (Debian: apt-get install postgresql-client).")
    return path


def back_up(alias, output):
    """Write a consistent copy of the database to `output` while others go on using it."""
    output = Path(output)
    if engine(alias) == "sqlite":
        # SQLite's online backup: page by page, restarting if a writer commits meanwhile,
        # so the copy is one consistent state without stopping the site (WAL included).
        database = Path(connections[alias].settings_dict["NAME"])
        if not database.is_file():
            raise CommandError(f"No database at {database} to back up.")
        create_private(output)  # SQLite gives its journal the file's own mode
        source = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
        target = sqlite3.connect(output)
        try:
            with target:
                source.backup(target)
        finally:
            target.close()
            source.close()
    else:
        # One snapshot of the whole database, in pg_restore's custom format (compressed).
        pg_dump = postgres_tool("pg_dump")
        create_private(output)  # pg_dump writes into it, keeping its mode
        run([pg_dump, "--format=custom", "--no-owner", f"--file={output}"], alias)
    return output


def create_private(path):
    """A new empty file only its owner may read: a backup holds password hashes and sessions."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        raise CommandError(f"{path} exists already: name a new file.") from None
    except OSError as error:
        raise CommandError(f"Can't write {path}: {error.strerror}.") from None


def restore(alias, backup):
    """Load `backup` into the configured database, which must be fresh (empty)."""
    backup = Path(backup)
    if not backup.is_file():
        raise CommandError(f"No backup at {backup}.")
    connection = connections[alias]
    if engine(alias) == "sqlite":
        target = Path(connection.settings_dict["NAME"])
        if target.exists() and target.stat().st_size:
            raise CommandError(
                f"{target} exists already: restore into a new file (DATABASE_URL=sqlite:///…)."
            )
        source = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
        try:
            if source.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise CommandError(f"{backup} is not a sound SQLite database.")
            restored = sqlite3.connect(target)
            with restored:
                source.backup(restored)
            restored.close()
        except sqlite3.DatabaseError as error:
            raise CommandError(f"{backup} is not an SQLite backup: {error}") from None
        finally:
            source.close()
    else:
        with connection.cursor() as cursor:
            tables = connection.introspection.table_names(cursor)
        connection.close()
        if tables:
            raise CommandError(
                f"The database {connection.settings_dict['NAME']} is not empty: restore into a "
                "fresh one (createdb, then DATABASE_URL naming it)."
            )
        run(
            [
                postgres_tool("pg_restore"),
                "--no-owner",
                "--exit-on-error",
                "--single-transaction",
                f"--dbname={connection.settings_dict['NAME']}",
                str(backup),
            ],
            alias,
        )
    move_past_earlier_states(alias)


def move_past_earlier_states(alias):
    """Pages are kept per publication state in caches that outlive a database (Redis, each
    app server's memory): a restored counter would name states the database had before,
    and may have had since with other contents. Move it far past all of them."""
    from django.db.models import F

    from .models import Publication

    connections[alias].close()  # the restored database, whatever was open before
    jump = secrets.randbits(40) + 1_000_000
    Publication.objects.using(alias).filter(pk=1).update(version=F("version") + jump)


def run(command, alias):
    result = subprocess.run(command, env=libpq_environment(alias), capture_output=True, text=True)
    if result.returncode:
        raise CommandError(f"{Path(command[0]).name} failed: {result.stderr.strip()}")
