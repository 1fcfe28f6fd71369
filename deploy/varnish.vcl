# Varnish in front of factcards' app servers (Debian: apt-get install varnish varnish-modules).
#
# Caches public GETs for as long as the app's Cache-Control allows a shared cache (s-maxage),
# drops them the moment the app purges their surrogate keys (the `xkey` header each response
# carries: card-<id>, source-<id>, topic-<id>, cards-list), passes the desk (/admin/) and
# anyone signed in, and serves a stale copy for up to a day while the app servers are down.
#
# Install: copy this file to /etc/varnish/default.vcl and factcards-backends.vcl beside it
# (list your app servers there), add the app servers' addresses to `purgers` below, and set
# FACTCARDS_PURGE_URLS=http://<varnish host>:<port>/ on every app server.
vcl 4.1;

import directors;
import std;
import xkey;

# The app's liveness check: a backend that fails it is skipped, and stale copies are served.
probe healthz {
    .url = "/healthz";
    .expected_response = 200;
    .interval = 2s;
    .timeout = 1s;
    .window = 3;
    .threshold = 2;
    .initial = 2;
}

# The app servers and the director `app` that spreads requests over them.
include "./factcards-backends.vcl";

# Who may purge: the app servers (they purge after every publication). Add their addresses.
acl purgers {
    "localhost";
}

sub vcl_recv {
    set req.backend_hint = app.backend();

    # PURGE with an `xkey-purge: card-12 cards-list` header drops every object carrying any
    # of those keys, at once and for good (not a soft purge: a correction must never be
    # served stale, not even once while Varnish refetches). PURGE without it: this URL.
    if (req.method == "PURGE") {
        if (client.ip !~ purgers) {
            return (synth(403, "Purging is not allowed from this address."));
        }
        if (req.http.xkey-purge) {
            set req.http.n-gone = xkey.purge(req.http.xkey-purge);
            return (synth(200, "Purged " + req.http.n-gone + " objects."));
        }
        return (purge);
    }
    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    # The editorial desk and anyone signed in (Django's session cookie) see the app itself.
    if (req.url ~ "^/admin(/|$)" || req.http.Cookie ~ "(^|;\s*)sessionid=" || req.http.Authorization) {
        return (pass);
    }
    # The reader's language (factcards/languages.py): the language cookie the switcher
    # sets, else the browser's first language the site speaks, else English; sent on as
    # Accept-Language, so that pages' `Vary: Accept-Language` keeps one copy per language.
    # (Embeds, oEmbed and the API speak their ?lang= and do not vary.)
    if (req.http.Cookie ~ "(^|;\s*)django_language=(en|ru|fr)(;|$)") {
        set req.http.Accept-Language = regsub(req.http.Cookie, "^(.*;\s*)?django_language=(en|ru|fr)(;.*)?$", "\2");
    } elsif (req.http.Accept-Language ~ "^\s*ru") {
        set req.http.Accept-Language = "ru";
    } elsif (req.http.Accept-Language ~ "^\s*fr") {
        set req.http.Accept-Language = "fr";
    } else {
        set req.http.Accept-Language = "en";
    }
    # Public pages read no other cookie: whatever else the browser sends (analytics…) is not
    # part of the page, and would make every reader's copy their own.
    unset req.http.Cookie;

    # A healthy app: at most 10 s past expiry while a fresh copy is fetched. A sick one: the
    # whole grace period (a day).
    if (std.healthy(req.backend_hint)) {
        set req.grace = 10s;
    }
    return (hash);
}

sub vcl_hash {
    # http:// and https:// pages differ (absolute links, oEmbed), behind a TLS proxy too.
    hash_data(req.http.X-Forwarded-Proto);
    # Then Varnish's own: the URL and the Host.
}

sub vcl_backend_response {
    # Keep only what the app says a shared cache may keep; the rest (errors, redirects,
    # anything without Cache-Control) is fetched each time.
    if (!beresp.http.Cache-Control || beresp.http.Cache-Control !~ "(public|s-maxage)") {
        set beresp.uncacheable = true;
        set beresp.ttl = 120s;
        return (deliver);
    }
    # A backend failing while a stale copy exists keeps the stale copy.
    if (beresp.status >= 500 && bereq.is_bgfetch) {
        return (abandon);
    }
    set beresp.grace = 24h;
    # Past grace, an object kept with its ETag is revalidated (304) rather than refetched.
    set beresp.keep = 1h;
}

sub vcl_deliver {
    # The keys are for Varnish; readers need not see them.
    unset resp.http.xkey;
    if (obj.hits > 0) {
        set resp.http.X-Cache = "HIT";
    } else {
        set resp.http.X-Cache = "MISS";
    }
}
