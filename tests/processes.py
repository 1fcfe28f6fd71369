"""Processes that tests start on loopback: app servers against the test database, the task
worker, Varnish. (tests/servers.py has `make serve` and throwaway PostgreSQL and Redis.)"""

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from django.conf import settings
from django.db import connection

from .servers import free_port

BASE_DIR = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI") == "true"


def database_url():
    """The test database (pytest-django's test_… name) as a DATABASE_URL for a subprocess."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def environment(**extra):
    """A subprocess's environment: the test database, production-like settings."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECURE_COOKIES": "false",  # plain HTTP on loopback
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("REDIS_URL", None)
    env.update({name: value for name, value in extra.items() if value is not None})
    return env


def manage(*args, env, **kwargs):
    return subprocess.Popen([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, **kwargs)


def wait_for(url, timeout=30, process=None):
    """Until `url` answers (any status), or fail with what the process said."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{process.args} exited with {process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


def stop(process, timeout=10):
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class AppServer:
    """gunicorn serving the project on a free loopback port, against the test database."""

    def __init__(self, **env):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("gunicorn")),
                "newsroom.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "2",
                "--log-level",
                "warning",
                "--no-control-socket",
            ],
            cwd=BASE_DIR,
            env=environment(**env),
        )

    def stop(self):
        stop(self.process)


def start_app_servers(count, **env):
    """`count` app servers, started side by side; each waits until it answers."""
    servers = [AppServer(**env) for _ in range(count)]
    try:
        for server in servers:
            wait_for(server.url + "/healthz", process=server.process)
    except Exception:
        for server in servers:
            server.stop()
        raise
    return servers


def collect_static():
    """Production settings serve hashed static files (whitenoise's manifest): collect them."""
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"],
        cwd=BASE_DIR,
        env=environment(),
        check=True,
    )


def get(url, **headers):
    """(status, headers, body text) of a GET, whatever the status."""
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


class Desk:
    """An editor signed in to one app server's admin, taking workflow steps over HTTP."""

    def __init__(self, server_url, user):
        from django.test import Client

        client = Client()
        client.force_login(user)  # a session in the shared database, valid on every server
        self.url = server_url
        self.cookies = {"sessionid": client.cookies["sessionid"].value}

    def take(self, card, step):
        """GET the step's confirmation page (for the CSRF token), then POST it."""
        page = f"{self.url}/admin/factcards/factcard/{card.pk}/workflow/{step}/"
        with self.open(urllib.request.Request(page)) as response:
            form = response.read().decode()
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                self.cookies[name] = rest.split(";")[0]
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
        version = re.search(r'name="version" value="(\d+)"', form).group(1)
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "version": version})
        request = urllib.request.Request(page, data=body.encode(), method="POST")
        with self.open(request) as response:
            return response.status, response.read().decode()

    def open(self, request):
        request.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        return urllib.request.urlopen(request, timeout=30)


class Varnish:
    """varnishd with deploy/varnish.vcl in front of `servers`, on a free loopback port."""

    def __init__(self, workdir, servers, port=None):
        self.workdir = Path(workdir)
        (self.workdir / "varnish.vcl").write_bytes((BASE_DIR / "deploy/varnish.vcl").read_bytes())
        backends = "".join(
            f'backend app{n} {{ .host = "127.0.0.1"; .port = "{server.port}"; '
            f".probe = healthz; }}\n"
            for n, server in enumerate(servers)
        )
        adds = "".join(f"    app.add_backend(app{n});\n" for n in range(len(servers)))
        (self.workdir / "factcards-backends.vcl").write_text(
            backends + "sub vcl_init {\n    new app = directors.round_robin();\n" + adds + "}\n"
        )
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.name = str(self.workdir / "varnish")
        self.process = subprocess.Popen(
            [
                shutil.which("varnishd", path=f"{os.environ.get('PATH', '')}:/usr/sbin"),
                "-F",  # in the foreground: stopping this process stops Varnish
                "-j", "none",  # no privilege separation: the VCL lives in the test's folder
                "-n", self.name,
                "-a", f"127.0.0.1:{self.port}",
                "-T", "none",
                "-f", str(self.workdir / "varnish.vcl"),
                "-s", "malloc,64m",
            ],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for(self.url + "/healthz", process=self.process)

    def hits(self):
        """How many requests Varnish answered from its cache (varnishstat)."""
        stat = subprocess.run(
            ["varnishstat", "-n", self.name, "-1", "-f", "MAIN.cache_hit"],
            capture_output=True,
            text=True,
            check=True,
        )
        return int(stat.stdout.split()[1])

    def stop(self):
        stop(self.process)
