"""The MDN HTTP Observatory's grade, computed from real responses (a test helper).

The rules implemented here are the Observatory's published scoring, as of its algorithm in
mdn/mdn-http-observatory (the scanner MDN runs at developer.mozilla.org/en-US/observatory):

- the method (src/scanner/index.js, and the page "HTTP Observatory Scoring Methodology",
  https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring): start at 100, take
  off every penalty; only if that leaves 90 or more, add the bonuses; the grade is the score
  rounded down to a multiple of 5, capped at 100, through the chart below (src/grader/grader.js,
  src/grader/charts.js: GRADE_CHART, SCORE_TABLE, MINIMUM_SCORE_FOR_EXTRA_CREDIT);
- the ten tests and their modifiers (src/analyzer/tests/*.js, modifiers from SCORE_TABLE):
  content-security-policy, cookies, cross-origin-resource-sharing, redirection,
  referrer-policy, strict-transport-security, subresource-integrity, x-content-type-options,
  x-frame-options, cross-origin-resource-policy.

What this helper leaves out, and why it does not change a grade here: CSP and Referrer-Policy
given in <meta http-equiv> (this site sends them as headers only); the HSTS preload list (a
site on it earns +5 for HSTS; ours is not assumed to be); certificate checks (TLS ends at the
proxy, not in the app). The Observatory scans a host's "/"; the same rules are applied here to
each page's own response, as a scan of a site serving that page at its root would see it.
"""

import html.parser
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

GRADES = [
    (100, "A+"),
    (90, "A"),
    (85, "A-"),
    (80, "B+"),
    (70, "B"),
    (65, "B-"),
    (60, "C+"),
    (50, "C"),
    (45, "C-"),
    (40, "D+"),
    (30, "D"),
    (25, "D-"),
    (0, "F"),
]
MINIMUM_SCORE_FOR_EXTRA_CREDIT = 90
SIX_MONTHS = 15_552_000  # the scanner's "white lie" for six months (15768000)
DANGEROUSLY_BROAD = {
    "ftp:",
    "http:",
    "https:",
    "*",
    "http://*",
    "http://*.*",
    "https://*",
    "https://*.*",
}
UNSAFE_INLINE = {"'unsafe-inline'", "data:"}
NONCES_HASHES = ("'sha256-", "'sha384-", "'sha512-", "'nonce-")


@dataclass
class Response:
    url: str
    status: int
    headers: list  # [(name, value)], as received, repeated headers kept
    body: bytes = b""

    def all(self, name):
        return [value for key, value in self.headers if key.lower() == name.lower()]

    def first(self, name):
        values = self.all(name)
        return values[0] if values else None


@dataclass
class Scan:
    """What the scanner fetched: the redirect route from http://, the final https response,
    and the same URL fetched again with an Origin header (the CORS probe)."""

    http_route: list  # [Response] from the http:// URL to wherever it ends
    https: Response
    cors: Response
    results: dict = field(default_factory=dict)  # test name -> (result, modifier)

    @property
    def score(self):
        modifiers = [modifier for _, modifier in self.results.values()]
        uncurved = 100 + sum(m for m in modifiers if m < 0)
        total = 100 + sum(modifiers) if uncurved >= MINIMUM_SCORE_FOR_EXTRA_CREDIT else uncurved
        return max(total, 0)

    @property
    def grade(self):
        rounded = min(self.score - self.score % 5, 100)
        return next(grade for floor, grade in GRADES if rounded >= floor)

    def explain(self):
        return f"{self.grade} ({self.score}): " + ", ".join(
            f"{result} {modifier:+d}" for result, modifier in self.results.values()
        )


def parse_csp(values):
    """{directive: set of sources} from the CSP headers (a comma separates policies)."""
    policy = {}
    for header in values:
        for one in header.split(","):
            for directive in one.split(";"):
                words = directive.strip().split()
                if words:
                    name = words[0].lower()
                    # The first occurrence of a directive wins, as in browsers.
                    policy.setdefault(name, {word.lower() for word in words[1:]})
    return policy


def csp_test(response, https):
    values = response.all("Content-Security-Policy")
    policy = parse_csp(values)
    if not policy:
        return "csp-not-implemented", -25
    script = set(policy.get("script-src") or policy.get("default-src") or {"*"})
    style = set(policy.get("style-src") or policy.get("default-src") or {"*"})
    objects = policy.get("object-src") or policy.get("default-src") or {"*"}
    for sources in (script, style):
        if any(s.startswith(NONCES_HASHES) for s in sources):
            sources.discard("'unsafe-inline'")
    if "'strict-dynamic'" in script:
        if not any(s.startswith(NONCES_HASHES) for s in script):
            return "csp-header-invalid", -25
        script = {
            s
            for s in script
            if s not in ("'self'", "'unsafe-inline'")
            and not any(s.startswith(b) for b in DANGEROUSLY_BROAD)
        }
    active = [
        s
        for name, sources in policy.items()
        if name not in ("img-src", "media-src", "script-src")
        for s in sources
    ] + list(script)
    passive = [
        s
        for name in ("img-src", "media-src")
        for s in (policy.get(name) or policy.get("default-src") or set())
    ]
    insecure = ("http:", "ftp:")
    if script & (DANGEROUSLY_BROAD | UNSAFE_INLINE) or objects & DANGEROUSLY_BROAD:
        return "csp-implemented-with-unsafe-inline", -20
    if https and any(s.startswith(insecure) for s in active):
        return "csp-implemented-with-insecure-scheme", -20
    if "'unsafe-eval'" in script | style:
        return "csp-implemented-with-unsafe-eval", -10
    if https and any(s.startswith(insecure) for s in passive):
        return "csp-implemented-with-insecure-scheme-in-passive-content-only", -10
    if style & (DANGEROUSLY_BROAD | UNSAFE_INLINE):
        return "csp-implemented-with-unsafe-inline-in-style-src-only", 0
    if policy.get("default-src") == {"'none'"}:
        return "csp-implemented-with-no-unsafe-default-src-none", 10
    return "csp-implemented-with-no-unsafe", 5


def parse_cookie(header):
    name = header.split(";", 1)[0].split("=", 1)[0].strip()
    attributes = {}
    for part in header.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        attributes[key.strip().lower()] = value.strip()
    return name, attributes


def cookies_test(responses, hsts_passes):
    # Worst first, as the scanner's `goodness` list orders them (onlyIfWorse).
    worst_first = [
        ("cookies-session-without-secure-flag", -40),
        ("cookies-session-without-httponly-flag", -30),
        ("cookies-anticsrf-without-samesite-flag", -20),
        ("cookies-samesite-flag-invalid", -20),
        ("cookies-session-without-secure-flag-but-protected-by-hsts", -10),
        ("cookies-without-secure-flag", -20),
        ("cookies-without-secure-flag-but-protected-by-hsts", -5),
    ]
    found = set()
    cookies = [parse_cookie(h) for r in responses for h in r.all("Set-Cookie")]
    if not cookies:
        return "cookies-not-found", 0
    missing_samesite = False
    for name, attributes in cookies:
        session = "login" in name.lower() or "sess" in name.lower()
        secure = "secure" in attributes
        samesite = attributes.get("samesite")
        if samesite is not None and samesite.lower() not in ("lax", "strict", "none"):
            found.add("cookies-samesite-flag-invalid")
        if not secure and (samesite or "").lower() == "none":
            found.add("cookies-samesite-flag-invalid")
        if not secure:
            found.add(
                "cookies-without-secure-flag-but-protected-by-hsts"
                if hsts_passes
                else "cookies-without-secure-flag"
            )
        if "csrf" in name.lower() and not samesite:
            found.add("cookies-anticsrf-without-samesite-flag")
        if session and not secure:
            found.add(
                "cookies-session-without-secure-flag-but-protected-by-hsts"
                if hsts_passes
                else "cookies-session-without-secure-flag"
            )
        if session and "httponly" not in attributes:
            found.add("cookies-session-without-httponly-flag")
        missing_samesite |= not samesite
    for result, modifier in worst_first:
        if result in found:
            return result, modifier
    if missing_samesite:
        return "cookies-secure-with-httponly-sessions", 0
    return "cookies-secure-with-httponly-sessions-and-samesite", 5


def cors_test(response, origin):
    allowed = (response.first("Access-Control-Allow-Origin") or "").strip().lower()
    if not allowed:
        return "cross-origin-resource-sharing-not-implemented", 0
    if allowed == "*":
        return "cross-origin-resource-sharing-implemented-with-public-access", 0
    credentials = (response.first("Access-Control-Allow-Credentials") or "").strip().lower()
    if allowed == origin.lower() and credentials == "true":
        return "cross-origin-resource-sharing-implemented-with-universal-access", -50
    return "cross-origin-resource-sharing-implemented-with-restricted-access", 0


def redirection_test(route):
    urls = [urlsplit(r.url) for r in route]
    if len(urls) == 1:
        return "redirection-missing", -20
    if urls[-1].scheme != "https":
        return "redirection-not-to-https", -20
    if urls[1].scheme == "http":
        return "redirection-not-to-https-on-initial-redirection", -10
    if urls[0].hostname != urls[1].hostname:
        return "redirection-off-host-from-http", -5
    return "redirection-to-https", 0


def referrer_policy_test(response):
    good = ["no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"]
    bad = ["origin", "origin-when-cross-origin", "unsafe-url", "no-referrer-when-downgrade"]
    values = response.all("Referrer-Policy")
    if not values:
        return "referrer-policy-not-implemented", 0
    policies = [p.strip().lower() for p in ", ".join(values).split(",")]
    valid = [p for p in policies if p in good + bad]
    policy = valid[-1] if valid else ""
    if policy in good:
        return "referrer-policy-private", 5
    if policy in bad:
        return "referrer-policy-unsafe", -5
    return "referrer-policy-header-invalid", -5


def hsts_test(response):
    header = response.first("Strict-Transport-Security")
    if header is None:
        return "hsts-not-implemented", -20
    max_age = None
    for parameter in header.lower().split(";"):
        parameter = parameter.strip()
        if parameter.startswith("max-age="):
            max_age = int(re.match(r"\d*", parameter[8:]).group() or -1)
    if "," in header or max_age is None or max_age < 0:
        return "hsts-header-invalid", -20
    if max_age < SIX_MONTHS:
        return "hsts-implemented-max-age-less-than-six-months", -10
    return "hsts-implemented-max-age-at-least-six-months", 0


class ScriptSources(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.scripts = []

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.scripts.append(dict(attrs))


def registrable_domain(host):
    # The scanner asks tldts for the registrable domain; the last two labels are that for
    # every host these tests use (no multi-label public suffixes).
    return ".".join((host or "").split(".")[-2:])


def sri_test(response, https):
    mime = (response.first("Content-Type") or "").split(";")[0].strip().lower()
    if mime and mime not in ("text/html", "application/xhtml+xml"):
        return "sri-not-implemented-response-not-html", 0
    parser = ScriptSources()
    parser.feed(response.body.decode("utf-8", "replace"))
    if not parser.scripts:
        return "sri-not-implemented-but-no-scripts-loaded", 0
    worst_first = [
        ("sri-not-implemented-and-external-scripts-not-loaded-securely", -50),
        ("sri-implemented-but-external-scripts-not-loaded-securely", -20),
        ("sri-not-implemented-but-external-scripts-loaded-securely", -5),
    ]
    found, foreign, same_origin_with_sri = set(), False, False
    page_domain = registrable_domain(urlsplit(response.url).hostname)
    for script in parser.scripts:
        src = script.get("src")
        if not src:
            continue
        integrity = script.get("integrity")
        protocol_relative = src.startswith("//") and not src.startswith("///")
        full = re.match(r"https?://", src)
        relative = not protocol_relative and not full
        same_domain = relative or protocol_relative
        if full:
            same_domain = registrable_domain(urlsplit(src).hostname) == page_domain
        secure_origin = relative or (same_domain and not protocol_relative)
        secure_scheme = (full and src.startswith("https:")) or (relative and https)
        if not secure_origin:
            foreign = True
            if integrity and not secure_scheme:
                found.add("sri-implemented-but-external-scripts-not-loaded-securely")
            elif not integrity and secure_scheme:
                found.add("sri-not-implemented-but-external-scripts-loaded-securely")
            elif not integrity:
                found.add("sri-not-implemented-and-external-scripts-not-loaded-securely")
        elif integrity and secure_scheme:
            same_origin_with_sri = True
    for result, modifier in worst_first:
        if result in found:
            return result, modifier
    if same_origin_with_sri:
        return "sri-implemented-and-all-scripts-loaded-securely", 5
    if foreign:
        return "sri-implemented-and-external-scripts-loaded-securely", 5
    return "sri-not-implemented-but-all-scripts-loaded-from-secure-origin", 0


def x_content_type_options_test(response):
    header = response.first("X-Content-Type-Options")
    if header is None:
        return "x-content-type-options-not-implemented", -5
    if header.strip().lower() == "nosniff":
        return "x-content-type-options-nosniff", 0
    return "x-content-type-options-header-invalid", -5


def x_frame_options_test(response):
    # Any frame-ancestors directive in the CSP header earns the bonus, whatever it allows:
    # the scanner notes a wildcard (policy.antiClickjacking = false) but does not score it.
    if "frame-ancestors" in parse_csp(response.all("Content-Security-Policy")):
        return "x-frame-options-implemented-via-csp", 5
    header = (response.first("X-Frame-Options") or "").strip().lower()
    if header in ("deny", "sameorigin"):
        return "x-frame-options-sameorigin-or-deny", 0
    if header.startswith("allow-from"):
        return "x-frame-options-allow-from-origin", 0
    if header:
        return "x-frame-options-header-invalid", -20
    return "x-frame-options-not-implemented", -20


def cross_origin_resource_policy_test(response):
    header = (response.first("Cross-Origin-Resource-Policy") or "").strip().lower()
    if not header:
        return "cross-origin-resource-policy-not-implemented", 0
    if header in ("same-site", "same-origin"):
        return f"cross-origin-resource-policy-implemented-with-{header}", 10
    if header == "cross-origin":
        return "cross-origin-resource-policy-implemented-with-cross-origin", 0
    return "cross-origin-resource-policy-header-invalid", -5


OBSERVATORY_ORIGIN = "https://http-observatory.security.mozilla.org"


def grade(http_route, https, cors):
    """The Observatory's grade of one page from its responses (see Scan)."""
    scan = Scan(http_route=http_route, https=https, cors=cors)
    is_https = urlsplit(https.url).scheme == "https"
    hsts = hsts_test(https)
    scan.results = {
        "content-security-policy": csp_test(https, is_https),
        "cookies": cookies_test([*http_route, https, cors], hsts[1] == 0),
        "cross-origin-resource-sharing": cors_test(cors, OBSERVATORY_ORIGIN),
        "redirection": redirection_test(http_route),
        "referrer-policy": referrer_policy_test(https),
        "strict-transport-security": hsts,
        "subresource-integrity": sri_test(https, is_https),
        "x-content-type-options": x_content_type_options_test(https),
        "x-frame-options": x_frame_options_test(https),
        "cross-origin-resource-policy": cross_origin_resource_policy_test(https),
    }
    return scan
