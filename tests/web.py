"""A web site on loopback for the worker to fetch: pages, redirects, pages gone, slow and
dribbling answers. Never the internet."""

import threading
import time
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class Site(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.routes, self.requests = {}, []
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def url(self, path="/"):
        return f"http://127.0.0.1:{self.server_port}{path}"

    def page(
        self,
        path,
        body,
        status=200,
        headers=None,
        delay=0,
        content_type="text/html; charset=utf-8",
        dribble=None,
        chunked=False,
    ):
        """Serve `body` at `path`; `delay`: seconds before answering; `dribble`: seconds
        between bytes; `chunked`: no Content-Length, the body in chunks."""
        body = body.encode() if isinstance(body, str) else body
        head = {"Content-Type": content_type, **(headers or {})} if content_type else headers
        self.routes[path] = dict(
            status=status, headers=head or {}, body=body, delay=delay, dribble=dribble,
            chunked=chunked,
        )  # fmt: skip

    def redirect(self, path, to, status=302):
        self.routes[path] = dict(status=status, headers={"Location": to}, body=b"")

    def gone(self, path, status=404):
        body = "<html><head><title>Not found</title></head><body><h1>Not found</h1></body></html>"
        self.page(path, body, status=status)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self.server.requests.append((self.command, self.path, dict(self.headers)))
        route = self.server.routes.get(self.path) or dict(
            status=404, headers={"Content-Type": "text/html"}, body=b"<h1>Not found</h1>"
        )
        time.sleep(route.get("delay", 0))
        body = route["body"]
        self.send_response(route["status"])
        for name, value in route["headers"].items():
            self.send_header(name, value)
        if route.get("chunked"):
            self.send_header("Transfer-Encoding", "chunked")
        elif "Content-Length" not in route["headers"]:
            self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command == "HEAD":
            return
        try:
            if route.get("chunked"):
                for start in range(0, len(body), 4096):
                    piece = body[start : start + 4096]
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                self.wfile.write(b"0\r\n\r\n")
            elif route.get("dribble"):
                for byte in body:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(route["dribble"])
            else:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading: what a size or time limit does

    do_HEAD = do_GET

    def log_message(self, *args):
        pass


@pytest.fixture
def web(settings):
    """A Site on 127.0.0.1 that the worker is allowed to fetch from."""
    settings.FACTCARDS_FETCH_ALLOW_NETWORKS = ["127.0.0.0/8"]
    site = Site()
    yield site
    site.shutdown()
    site.server_close()


def article_html(title, paragraphs, *, outlet=None, byline=None, published=None, lang="en"):
    """A news article's page as sites serve them: navigation, the article, a footer; metadata
    only where given."""
    meta = []
    if outlet:
        meta.append(f'<meta property="og:site_name" content="{escape(outlet)}">')
    if byline:
        meta.append(f'<meta name="author" content="{escape(byline)}">')
    if published:
        meta.append(f'<meta property="article:published_time" content="{published}T09:00:00Z">')
    body = "\n".join(f"<p>{escape(paragraph)}</p>" for paragraph in paragraphs)
    lang_attr = f' lang="{lang}"' if lang else ""
    return f"""<!doctype html>
<html{lang_attr}><head><meta charset="utf-8"><title>{escape(title)}</title>{"".join(meta)}</head>
<body>
<header><nav><a href="/">Home</a> <a href="/world">World</a> <a href="/sport">Sport</a>
<a href="/subscribe">Subscribe for 1 euro</a></nav></header>
<main><article>
<h1>{escape(title)}</h1>
{f'<p class="byline">By {escape(byline)}</p>' if byline else ""}
{f'<time datetime="{published}">{published}</time>' if published else ""}
{body}
</article></main>
<footer><p>Copyright. All rights reserved. Contact us. Cookie settings.</p></footer>
</body></html>"""
