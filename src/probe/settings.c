#include <stdlib.h>
#include <string.h>

#include "fsx.h"
#include "optval.h"
#include "retry.h"
#include "settings.h"
#include "banned.h"

#define DATA_FILE_MAX ((size_t)64 << 20)

void settings_init(struct probe_settings *s)
{
	memset(s, 0, sizeof(*s));
	s->pool = pool_new();
	s->secrets = secret_set_new();
	target_template_init(&s->tmpl);
	s->parallel = PROBE_DEFAULT_PARALLEL;
}

void settings_release(struct probe_settings *s)
{
	secret_set_free(s->secrets);
	pool_free(s->pool);
	memset(s, 0, sizeof(*s));
}

/* Append arg to a pool-owned list (lists are short: options given by hand). */
static void list_add(struct pool *p, const char ***list, size_t *n, const char *arg)
{
	const char **grown = pool_alloc(p, (*n + 2) * sizeof(*grown));

	if (*n)
		memcpy(grown, *list, *n * sizeof(*grown));
	grown[(*n)++] = arg;
	*list = grown;
}

static int set_duration(const char *what, const char *arg, int64_t *out, struct srerr *e)
{
	return optval_duration(what, arg, out, e);
}

static int set_long(const char *what, const char *arg, long min, long max, long *out,
		    struct srerr *e)
{
	return optval_long(what, arg, min, max, out, e);
}

static int request_option(struct probe_settings *s, int opt, const char *arg, struct srerr *e)
{
	struct http_request *r = &s->tmpl.req;

	switch (opt) {
	case 'X': r->method = arg; return 0;
	case 'H': list_add(s->pool, &s->headers, &s->nheaders, arg); return 0;
	case 'd': s->data = arg; return 0;
	case '4': r->ip_version = 4; return 0;
	case '6': r->ip_version = 6; return 0;
	case OPT_TIMEOUT: return set_duration("--timeout", arg, &r->timeout_ms, e);
	case OPT_CONNECT_TIMEOUT:
		return set_duration("--connect-timeout", arg, &r->connect_timeout_ms, e);
	case OPT_RESOLVE: list_add(s->pool, &s->resolve, &s->nresolve, arg); return 0;
	case OPT_CACERT: r->cacert = arg; return 0;
	case OPT_CERT: r->cert = arg; return 0;
	case OPT_KEY: r->key = arg; return 0;
	case OPT_INSECURE: r->insecure = 1; return 0;
	case OPT_FOLLOW: r->follow = 1; return 0;
	case OPT_PROXY: r->proxy = arg; secret_note_url(s->secrets, arg); return 0;
	case OPT_MAX_BODY: return optval_size("--max-body", arg, &r->max_body, e);
	default: return 1;
	}
}

static int check_option(struct probe_settings *s, int opt, const char *arg, struct srerr *e)
{
	struct probe_checks *c = &s->tmpl.checks;

	switch (opt) {
	case OPT_EXPECT_STATUS: return check_status_parse(arg, &c->status, e);
	case OPT_EXPECT_BODY: s->expect_body = arg; return 0;
	case OPT_EXPECT_JSON: s->expect_json = arg; return 0;
	case OPT_EXPECT_HEADER:
		list_add(s->pool, &s->expect_headers, &s->nexpect_headers, arg);
		return 0;
	case OPT_MAX_LATENCY: return set_duration("--max-latency", arg, &c->max_latency_ms, e);
	case OPT_WARN_LATENCY: return set_duration("--warn-latency", arg, &c->warn_latency_ms, e);
	case OPT_CERT_MIN_DAYS: return optval_days("--cert-min-days", arg, &c->cert_min_days, e);
	case OPT_WARN_CERT_DAYS: return optval_days("--warn-cert-days", arg, &c->warn_cert_days, e);
	case OPT_STRICT: s->strict = 1; return 0;
	default: return 1;
	}
}

static int run_option(struct probe_settings *s, int opt, const char *arg, struct srerr *e)
{
	long n;

	switch (opt) {
	case 'f': list_add(s->pool, &s->specs, &s->nspecs, arg); return 0;
	case OPT_EXEC: list_add(s->pool, &s->execs, &s->nexecs, arg); return 0;
	case OPT_RETRIES:
		if (set_long("--retries", arg, 0, RETRY_MAX, &n, e) == -1)
			return -1;
		s->tmpl.retries = (int)n;
		return 0;
	case OPT_RETRY_DELAY: return set_duration("--retry-delay", arg, &s->tmpl.retry_delay_ms, e);
	case OPT_EVERY: return set_duration("--every", arg, &s->every_ms, e);
	case OPT_COUNT: return set_long("--count", arg, 1, 1000000000L, &s->count, e);
	case OPT_WAIT: return set_duration("--wait", arg, &s->wait_ms, e);
	case OPT_PARALLEL:
		if (set_long("--parallel", arg, 1, PROBE_MAX_PARALLEL, &n, e) == -1)
			return -1;
		s->parallel = (unsigned)n;
		return 0;
	case OPT_SECRET: return secret_define(s->secrets, arg, e);
	case OPT_TEXTFILE: s->textfile = arg; return 0;
	case OPT_PUSH: s->push_url = arg; secret_note_url(s->secrets, arg); return 0;
	default: return 1;
	}
}

int settings_option(struct probe_settings *s, int opt, const char *arg, struct srerr *e)
{
	int rc = request_option(s, opt, arg, e);

	if (rc == 1)
		rc = check_option(s, opt, arg, e);
	if (rc == 1)
		rc = run_option(s, opt, arg, e);
	if (rc == 1) {
		srerr_set(e, "usage", "unknown option");
		return -1;
	}
	return rc;
}

/* -d TEXT, -d @FILE, -d @- (standard input) */
static int finish_data(struct probe_settings *s, struct target_ctx *ctx, struct srerr *e)
{
	char *buf;
	size_t len;

	if (!s->data)
		return 0;
	if (s->data[0] != '@')
		return target_set_body(ctx, &s->tmpl, s->data, strlen(s->data), e);
	if (fsx_read_file(strcmp(s->data, "@-") == 0 ? "/dev/stdin" : s->data + 1,
			  DATA_FILE_MAX, &buf, &len, e) == -1) {
		srerr_prefix(e, "--data '%s'", s->data);
		return -1;
	}
	pool_adopt(s->pool, buf);
	return target_set_body(ctx, &s->tmpl, buf, len, e);
}

static int finish_modes(struct probe_settings *s, struct srerr *e)
{
	if (s->count && !s->every_ms) {
		srerr_set(e, "usage", "--count needs --every");
		return -1;
	}
	if (s->count && s->wait_ms) {
		srerr_set(e, "usage", "--count and --wait do not go together");
		return -1;
	}
	if (s->tmpl.checks.warn_latency_ms >= 0 && s->tmpl.checks.max_latency_ms >= 0 &&
	    s->tmpl.checks.warn_latency_ms > s->tmpl.checks.max_latency_ms) {
		srerr_set(e, "usage", "--warn-latency is above --max-latency");
		return -1;
	}
	return 0;
}

int settings_finish(struct probe_settings *s, struct srerr *e)
{
	struct target_ctx ctx = { s->pool, s->secrets };
	struct probe_target *t = &s->tmpl;

	if (finish_modes(s, e) == -1)
		return -1;
	t->req.resolve = s->resolve;
	t->req.nresolve = s->nresolve;
	if (s->nheaders && target_add_headers(&ctx, t, s->headers, s->nheaders, e) == -1)
		return -1;
	if (finish_data(s, &ctx, e) == -1)
		return -1;
	if (s->expect_body && target_expect_body(&ctx, t, s->expect_body, e) == -1)
		return -1;
	if (s->expect_json && target_expect_json(&ctx, t, s->expect_json, e) == -1)
		return -1;
	if (s->nexpect_headers &&
	    target_expect_headers(&ctx, t, s->expect_headers, s->nexpect_headers, e) == -1)
		return -1;
	return 0;
}

int settings_targets(struct probe_settings *s, char *const *operands, size_t n,
		     struct target_list *l, struct srerr *e)
{
	struct target_ctx ctx = { s->pool, s->secrets };

	for (size_t i = 0; i < n; i++) {
		struct probe_target t = s->tmpl;

		if (target_set_location(&ctx, &t, operands[i], e) == -1 ||
		    target_finish(&ctx, &t, e) == -1)
			return -1;
		target_list_push(l, &t);
	}
	for (size_t i = 0; i < s->nexecs; i++) {
		struct probe_target t = s->tmpl;

		if (target_set_exec(&ctx, &t, s->execs[i], e) == -1)
			return -1;
		target_list_push(l, &t);
	}
	for (size_t i = 0; i < s->nspecs; i++)
		if (target_load_specs(&ctx, l, &s->tmpl, s->specs[i], e) == -1)
			return -1;
	if (l->n == 0) {
		srerr_set(e, "usage", "no targets: give a URL, --exec CMD or -f FILE");
		return -1;
	}
	return 0;
}
