# factcards' app servers (gunicorn), one backend each; included by varnish.vcl.
backend app1 {
    .host = "127.0.0.1";
    .port = "8000";
    .probe = healthz;
}

# More app servers: copy the backend above (app2, app3…) and add each here.
sub vcl_init {
    new app = directors.round_robin();
    app.add_backend(app1);
}
