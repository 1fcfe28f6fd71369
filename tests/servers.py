"""Real servers for tests, on loopback and free ports: the app under `make serve`, a
throwaway PostgreSQL cluster, a throwaway Redis. Each is stopped by the test that started it."""

import http.client
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from glob import glob
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI") == "true"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def missing(reason):
    """A tool the test needs is not installed: a failure in CI, a skip with the reason here."""
    if IN_CI:
        pytest.fail(f"CI needs this test: {reason}")
    pytest.skip(reason)


def wait_for(check, what, timeout=20.0, process=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what}: the process exited with {process.returncode}")
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{what} did not come up within {timeout} s")


def stop(process, timeout=10):
    """Stop a process started with start_new_session=True, and everything it started."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


# --- the documented production environment ------------------------------------------------


def production_environment():
    """The README's "production environment" block, as NAME: value."""
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"```sh\n# The production environment\n(.*?)```", readme, re.S).group(1)
    environment = {}
    for line in block.splitlines():
        line = re.sub(r"\s+#.*", "", line).strip()
        if line:
            name, _, value = line.partition("=")
            environment[name] = value
    # The README's key is a placeholder for "a long random string".
    environment["DJANGO_SECRET_KEY"] = secrets.token_urlsafe(50)
    return environment


def database_url(settings_dict):
    """A DATABASE_URL for the database Django is using now (the test database)."""
    if settings_dict["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{settings_dict['NAME']}"
    user = quote(settings_dict["USER"] or "")
    password = f":{quote(settings_dict['PASSWORD'])}" if settings_dict["PASSWORD"] else ""
    host = settings_dict["HOST"] or "127.0.0.1"
    port = settings_dict["PORT"] or 5432
    return f"postgres://{user}{password}@{host}:{port}/{settings_dict['NAME']}"


def server_environment(overrides):
    """The environment of a server process: this one's, minus the Django and factcards
    settings (the test's own DEBUG and such), plus `overrides`."""
    keep = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "FACTCARDS_", "DATABASE_URL", "REDIS_URL"))
        and not name.startswith("PYTEST")
    }
    return {**keep, **overrides}


class AppServer:
    """`make serve` on a free port; requests go through `fetch`, which plays the
    TLS-terminating proxy: it connects to the app and sets X-Forwarded-Proto from the URL."""

    def __init__(self, environment, log_path):
        self.port = free_port()
        self.log_path = log_path
        self.environment = environment
        self.process = None

    def start(self, timeout=60.0):
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [
                "make",
                "--no-print-directory",
                "serve",
                f"PORT={self.port}",
                "HOST=127.0.0.1",
                "WORKERS=2",
            ],
            cwd=ROOT,
            env=self.environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        host = (self.environment.get("DJANGO_ALLOWED_HOSTS") or "127.0.0.1").split(",")[0]
        wait_for(
            lambda: self.request("GET", "/healthz", {"Host": host})[0] in (200, 503),
            "make serve",
            timeout,
            self.process,
        )
        return self

    def stop(self):
        if self.process is not None:
            stop(self.process)

    def log(self):
        return Path(self.log_path).read_text(errors="replace")

    def request(self, method, path, headers, body=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            connection.close()

    def fetch(self, url, method="GET", headers=None, body=None):
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        sent = {"Host": parts.netloc, "X-Forwarded-Proto": parts.scheme, **(headers or {})}
        return self.request(method, path, sent, body)


# --- a throwaway PostgreSQL cluster ---------------------------------------------------------


def postgres_binaries():
    found = sorted(glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        missing(
            "no PostgreSQL server binaries (/usr/lib/postgresql/*/bin: apt-get install postgresql)"
        )
    return Path(found[-1]).parent


class ThrowawayPostgres:
    """initdb + pg_ctl in a temporary folder, on a free loopback port, trust auth. As root,
    the cluster runs as the `postgres` OS user (PostgreSQL refuses to run as root)."""

    def __init__(self):
        self.bin = postgres_binaries()
        # Not under pytest's tmp_path: its parents are private to root, and the cluster may
        # run as the postgres user.
        self.folder = Path(tempfile.mkdtemp(prefix="factcards-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.as_user = []
        if os.geteuid() == 0:
            self.as_user = ["runuser", "-u", "postgres", "--"]
            shutil.chown(self.folder, "postgres")

    def run(self, *command):
        subprocess.run([*self.as_user, *command], check=True, capture_output=True, cwd=self.folder)

    def init(self):
        self.run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
            "-E",
            "UTF8",
        )
        return self

    def start(self):
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} -c fsync=off"
            " -c full_page_writes=off -c synchronous_commit=off"
        )
        self.run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.folder / "log"),
            "-o",
            options,
            "-w",
            "-t",
            "20",
            "start",
        )

    def stop(self):
        self.run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def url(self, name="postgres"):
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def createdb(self, name):
        self.run(
            str(self.bin / "createdb"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
            name,
        )


@contextmanager
def throwaway_postgres():
    cluster = ThrowawayPostgres().init()
    cluster.start()
    try:
        yield cluster
    finally:
        try:
            cluster.stop()
        except subprocess.CalledProcessError:
            pass  # already stopped by the test
        shutil.rmtree(cluster.folder, ignore_errors=True)


# --- a throwaway Redis ----------------------------------------------------------------------


class ThrowawayRedis:
    def __init__(self, folder):
        self.binary = shutil.which("redis-server")
        if not self.binary:
            missing("no redis-server (apt-get install redis-server)")
        self.folder = Path(folder)
        self.port = free_port()
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

        def answers():
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")

        wait_for(answers, "redis-server", 10, self.process)
        return self

    def stop(self):
        if self.process is not None:
            stop(self.process)

    def url(self, db=0):
        return f"redis://127.0.0.1:{self.port}/{db}"
