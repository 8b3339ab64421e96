/* slo-budget's Prometheus source: query_range over HTTP into a series (see prom.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jv.h>
#include <openssl/evp.h>

#include "http.h"
#include "ndjson.h"
#include "prom.h"
#include "series.h"
#include "slo.h"
#include "tm.h"
#include "sbuf.h"
#include "banned.h"

#define QUERY_SHOWN 120      /* bytes of a query quoted in a message */
#define SERVER_TEXT 240      /* bytes of the server's own error text */

static int oom(struct srerr *e)
{
	srerr_set(e, "oom", "out of memory");
	return -1;
}

/* ---- strings ------------------------------------------------------------------------ */

/* The built string (the caller frees it), or NULL when memory ran out. */
static char *buf_take(struct sbuf *b)
{
	if (b->oom || !b->p) {
		free(b->p);
		return b->oom ? NULL : strdup("");
	}
	return b->p;
}

/* RFC 3986 percent-encoding of everything but the unreserved characters. */
static void buf_add_encoded(struct sbuf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[3] = { '%', hex[c >> 4], hex[c & 15] };

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~')
			sbuf_add(b, (const char *)&c, 1);
		else
			sbuf_add(b, esc, 3);
	}
}

/* ms since the epoch as Prometheus' seconds with a fraction: "1793491200.500". */
static void buf_add_seconds(struct sbuf *b, int64_t ms)
{
	char s[40];
	uint64_t mag = ms < 0 ? (uint64_t)0 - (uint64_t)ms : (uint64_t)ms;

	snprintf(s, sizeof(s), "%s%" PRIu64 ".%03u", ms < 0 ? "-" : "", mag / 1000,
		 (unsigned)(mag % 1000));
	sbuf_puts(b, s);
}

void prom_display_url(const char *url, char *out, size_t size)
{
	const char *auth = strstr(url, "://"), *end, *at = NULL, *p;

	if (!auth) {
		snprintf(out, size, "%s", url);
		return;
	}
	auth += 3;
	end = auth + strcspn(auth, "/?#");
	for (p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	/* "http://bob:pa/ss@h" is a password with a '/' (or '?', '#') in it, not the host
	   "bob" with the port "pa": hide up to the last '@' when the port is no number */
	if (!at && strchr(end, '@') && (p = memrchr(auth, ':', (size_t)(end - auth))) &&
	    (p + 1 == end || strspn(p + 1, "0123456789") != (size_t)(end - p - 1)))
		at = strrchr(end, '@');
	if (!at) {
		snprintf(out, size, "%s", url);
		return;
	}
	snprintf(out, size, "%.*s%s", (int)(auth - url), url, at + 1);
}

/* Control characters of a server's text as '?': a diagnostic stays one line and sends
   no escape sequence to the operator's terminal. */
static void scrub(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

/*
 * Replace every occurrence of secret in e's message by "***", and, as a safety net for
 * a message cut before it was redacted, a start of the secret (4 bytes or more) that
 * runs into the end of the message or into the "..." of a shortened quote.
 */
static void redact(struct srerr *e, const char *secret)
{
	char out[SRERR_MSG_MAX];
	const char *p;
	size_t o = 0, k, slen;

	if (!e || !secret || !*secret)
		return;
	slen = strlen(secret);
	for (p = e->msg; *p && o < sizeof(out) - 1;) {
		for (k = 0; k < slen && p[k] == secret[k]; k++)
			;
		if (k == slen || (k >= 4 && (!p[k] || !strncmp(p + k, "...", 3)))) {
			size_t n = sizeof(out) - 1 - o < 3 ? sizeof(out) - 1 - o : 3;
			memcpy(out + o, "***", n);
			o += n;
			p += k;
		} else {
			out[o++] = *p++;
		}
	}
	out[o] = '\0';
	memcpy(e->msg, out, o + 1);
}

/* ---- the query ---------------------------------------------------------------------- */

/* The template sloth uses for the window, with or without spaces inside the braces. */
static const char *find_window(const char *s, size_t *len)
{
	static const char *const forms[] = { "{{.window}}", "{{ .window }}" };
	const char *best = NULL;
	size_t i;

	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		const char *p = strstr(s, forms[i]);
		if (p && (!best || p < best)) {
			best = p;
			*len = strlen(forms[i]);
		}
	}
	return best;
}

char *prom_expand_query(const char *query, int64_t step_ms)
{
	char dur[TM_DURATION_SIZE];
	struct sbuf b = { 0 };
	const char *p, *hit;
	size_t n = 0;

	tm_format_duration(step_ms, dur);
	if (!find_window(query, &n)) {
		sbuf_puts(&b, "sum(increase(");
		sbuf_puts(&b, query);
		sbuf_puts(&b, "[");
		sbuf_puts(&b, dur);
		sbuf_puts(&b, "]))");
		return buf_take(&b);
	}
	for (p = query; (hit = find_window(p, &n)); p = hit + n) {
		sbuf_add(&b, p, (size_t)(hit - p));
		sbuf_puts(&b, dur);
	}
	sbuf_puts(&b, p);
	return buf_take(&b);
}

/* ---- the response ------------------------------------------------------------------- */

void prom_matrix_release(struct prom_matrix *m)
{
	free(m->v);
	m->v = NULL;
	m->n = 0;
	m->series = 0;
}

/* A string field of object o, or NULL; o is borrowed, the result lives as long as o. */
static const char *field_string(jv o, const char *name, jv *keep)
{
	*keep = jv_object_get(jv_copy(o), jv_string(name));
	return jv_get_kind(*keep) == JV_KIND_STRING ? jv_string_value(*keep) : NULL;
}

/* A decimal number as Go's strconv.FormatFloat writes it: sign, digits, a fraction, an
   exponent.  No hexadecimal, no "nan"/"inf" spellings strtod also reads. */
static int is_decimal(const char *s)
{
	const char *p = s;

	if (*p == '+' || *p == '-')
		p++;
	if (*p < '0' || *p > '9')
		return 0;
	while (*p >= '0' && *p <= '9')
		p++;
	if (*p == '.') {
		if (*++p < '0' || *p > '9')
			return 0;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (*p < '0' || *p > '9')
			return 0;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return *p == '\0';
}

/* A sample's value string into *v: NaN for "NaN" and the infinities.  0 or -1. */
static int sample_value(const char *s, double *v)
{
	if (!strcmp(s, "NaN") || !strcmp(s, "+Inf") || !strcmp(s, "-Inf") || !strcmp(s, "Inf")) {
		*v = NAN;
		return 0;
	}
	if (!is_decimal(s))
		return -1;
	*v = strtod(s, NULL);
	if (!isfinite(*v))    /* 1e999: out of range, as good as +Inf */
		*v = NAN;
	return 0;
}

/* One [seconds, "value"] pair into *pt.  Consumes pair.  0, or -1 and e. */
static int sample(jv pair, size_t i, struct prom_point *pt, struct srerr *e)
{
	jv ts, val;
	double secs;
	int rc = -1;
	char shown[40];

	if (jv_get_kind(pair) != JV_KIND_ARRAY || jv_array_length(jv_copy(pair)) != 2) {
		jv_free(pair);
		srerr_set(e, "prometheus", "returns sample %zu that is not a [time, \"value\"] pair",
			  i + 1);
		return -1;
	}
	ts = jv_array_get(jv_copy(pair), 0);
	val = jv_array_get(pair, 1);
	secs = jv_get_kind(ts) == JV_KIND_NUMBER ? jv_number_value(ts) : NAN;
	if (!isfinite(secs) || secs * 1000 < (double)TM_MIN_MS || secs * 1000 > (double)TM_MAX_MS) {
		srerr_set(e, "prometheus", "returns sample %zu with an invalid time", i + 1);
	} else if (jv_get_kind(val) != JV_KIND_STRING) {
		srerr_set(e, "prometheus", "returns sample %zu whose value is not a string", i + 1);
	} else if (sample_value(jv_string_value(val), &pt->v) < 0) {
		srerr_shorten(jv_string_value(val), shown, sizeof(shown));
		scrub(shown);
		srerr_set(e, "prometheus", "returns sample %zu with an invalid value '%s'", i + 1,
			  shown);
	} else {
		pt->t = llround(secs * 1000);
		rc = 0;
	}
	jv_free(ts);
	jv_free(val);
	return rc;
}

/* The "values" of the one series into m.  Consumes series. */
static int series_values(jv series, struct prom_matrix *m, struct srerr *e)
{
	jv values = jv_object_get(series, jv_string("values"));
	int i, n, rc = 0;

	if (jv_get_kind(values) != JV_KIND_ARRAY) {
		jv_free(values);
		srerr_set(e, "prometheus", "returns a series without \"values\"");
		return -1;
	}
	n = jv_array_length(jv_copy(values));
	if (n > 0 && !(m->v = calloc((size_t)n, sizeof(*m->v)))) {
		jv_free(values);
		return oom(e);
	}
	for (i = 0; i < n && rc == 0; i++) {
		rc = sample(jv_array_get(jv_copy(values), i), (size_t)i, &m->v[i], e);
		if (rc == 0 && i > 0 && m->v[i].t <= m->v[i - 1].t) {
			srerr_set(e, "prometheus", "returns samples out of time order");
			rc = -1;
		}
		m->n = (size_t)i + (rc == 0);
	}
	jv_free(values);
	return rc;
}

/* "status":"error": the server's errorType and error text. */
static int server_error(jv body, struct srerr *e)
{
	jv kt, et;
	const char *type = field_string(body, "errorType", &kt);
	const char *text = field_string(body, "error", &et);
	char shown[SERVER_TEXT], kind[32];

	srerr_shorten(text ? text : "no reason given", shown, sizeof(shown));
	scrub(shown);
	if (type) {
		srerr_shorten(type, kind, sizeof(kind));
		scrub(kind);
	}
	srerr_set(e, "prometheus", "failed: %s%s%s", type ? kind : "", type ? ": " : "", shown);
	jv_free(kt);
	jv_free(et);
	return -1;
}

/* The matrix inside a parsed body.  Consumes body. */
static int walk_body(jv body, struct prom_matrix *m, struct srerr *e)
{
	jv st, data, kind, result;
	const char *status;
	int rc = -1, n;

	if (jv_get_kind(body) != JV_KIND_OBJECT) {
		jv_free(body);
		srerr_set(e, "prometheus", "returns a response that is not a JSON object");
		return -1;
	}
	status = field_string(body, "status", &st);
	if (status && !strcmp(status, "error")) {
		server_error(body, e);
		jv_free(st);
		jv_free(body);
		return -1;
	}
	data = jv_object_get(jv_copy(body), jv_string("data"));
	kind = jv_get_kind(data) == JV_KIND_OBJECT ?
		jv_object_get(jv_copy(data), jv_string("resultType")) : jv_invalid();
	result = jv_get_kind(data) == JV_KIND_OBJECT ?
		jv_object_get(jv_copy(data), jv_string("result")) : jv_invalid();
	if (!status || strcmp(status, "success")) {
		srerr_set(e, "prometheus", "returns a response without \"status\":\"success\"");
	} else if (jv_get_kind(kind) != JV_KIND_STRING || jv_get_kind(result) != JV_KIND_ARRAY) {
		srerr_set(e, "prometheus", "returns a response without data.resultType and "
			  "data.result");
	} else if (strcmp(jv_string_value(kind), "matrix")) {
		char shown[40];
		srerr_shorten(jv_string_value(kind), shown, sizeof(shown));
		srerr_set(e, "prometheus", "returns a %s, expected a matrix", shown);
	} else if ((n = jv_array_length(jv_copy(result))) > 1) {
		srerr_set(e, "prometheus", "returns %d series; aggregate it with sum()", n);
	} else if (n == 1) {
		m->series = 1;
		rc = series_values(jv_array_get(jv_copy(result), 0), m, e);
	} else {
		rc = 0;
	}
	jv_free(st);
	jv_free(data);
	jv_free(kind);
	jv_free(result);
	jv_free(body);
	return rc;
}

int prom_parse_matrix(const char *body, size_t len, struct prom_matrix *m, struct srerr *e)
{
	struct srerr pe;
	jv v;

	m->v = NULL;
	m->n = 0;
	m->series = 0;
	if (ndj_parse_value(body, len, 0, &v, &pe) < 0) {
		if (!strcmp(pe.code, "oom"))
			return oom(e);
		srerr_set(e, "prometheus", "returns a response that is not JSON: %s", pe.msg);
		return -1;
	}
	return walk_body(v, m, e);
}

/* ---- pairing ------------------------------------------------------------------------ */

size_t prom_pair(const struct prom_matrix *q, const struct prom_matrix *total, int q_is_bad,
		 struct prom_pair *out, struct prom_stats *stats)
{
	struct prom_stats st = { 0 };
	size_t i, j = 0, k = 0;

	for (i = 0; i < total->n; i++) {
		const struct prom_point *t = &total->v[i];
		const struct prom_point *p;
		double x;

		while (j < q->n && q->v[j].t < t->t)
			j++;
		p = j < q->n && q->v[j].t == t->t ? &q->v[j] : NULL;
		st.instants++;
		if (!isfinite(t->v) || t->v < 0 || (p && !isfinite(p->v))) {
			st.skipped++;
			continue;
		}
		if (!p && !q_is_bad) {
			st.gaps++;
			continue;
		}
		x = p ? p->v : 0;                 /* no bad value: no error counted yet */
		x = x < 0 ? 0 : x > t->v ? t->v : x;
		out[k].t = t->t;
		out[k].total = t->v;
		out[k].good = q_is_bad ? t->v - x : x;
		k++;
	}
	if (stats) {
		stats->instants += st.instants;
		stats->gaps += st.gaps;
		stats->skipped += st.skipped;
	}
	return k;
}

/* ---- HTTP --------------------------------------------------------------------------- */
/* Below, e is never NULL: prom_fill passes its own when the caller gives none. */

struct conn {
	const struct prom_source *p;
	char base[2048];                 /* the URL without trailing slashes */
	char shown[2048];                /* base without user information */
	char *auth;                      /* "Authorization: ..." or NULL */
	int64_t step_ms;
};

static void conn_release(struct conn *c)
{
	if (c->auth) {
		explicit_bzero(c->auth, strlen(c->auth));
		free(c->auth);
	}
}

/* userpass base64-encoded (malloc), or NULL when out of memory or too long. */
static char *base64(const char *userpass)
{
	size_t n = strlen(userpass);
	char *b;

	if (n > PROM_SECRET_MAX || !(b = malloc(4 * ((n + 2) / 3) + 1)))
		return NULL;
	EVP_EncodeBlock((unsigned char *)b, (const unsigned char *)userpass, (int)n);
	return b;
}

void prom_redact(const struct prom_source *p, struct srerr *e)
{
	const char *colon;
	char *b64;

	if (!e)
		return;
	redact(e, p->bearer_token);
	if (!p->basic_auth)
		return;
	redact(e, p->basic_auth);
	if ((b64 = base64(p->basic_auth))) {
		redact(e, b64);
		explicit_bzero(b64, strlen(b64));
		free(b64);
	}
	if ((colon = strchr(p->basic_auth, ':')) && strlen(colon + 1) >= 4)
		redact(e, colon + 1);
}

static int has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

static int make_auth(struct conn *c, struct srerr *e)
{
	const struct prom_source *p = c->p;
	struct sbuf b = { 0 };
	char *b64;

	if (p->bearer_token && p->basic_auth) {
		srerr_set(e, "usage", "a bearer token and basic auth cannot be used together");
		return -1;
	}
	if (p->bearer_token) {
		if (!*p->bearer_token || has_control(p->bearer_token)) {
			srerr_set(e, "usage", "invalid bearer token: empty or with a control character");
			return -1;
		}
		sbuf_puts(&b, "Authorization: Bearer ");
		sbuf_puts(&b, p->bearer_token);
	} else if (p->basic_auth) {
		if (!strchr(p->basic_auth, ':') || has_control(p->basic_auth)) {
			srerr_set(e, "usage", "invalid basic auth: expected user:password without "
				  "control characters");
			return -1;
		}
		if (strlen(p->basic_auth) > PROM_SECRET_MAX) {
			srerr_set(e, "usage", "basic auth is longer than %d bytes", PROM_SECRET_MAX);
			return -1;
		}
		if (!(b64 = base64(p->basic_auth)))
			return oom(e);
		sbuf_puts(&b, "Authorization: Basic ");
		sbuf_puts(&b, b64);
		explicit_bzero(b64, strlen(b64));
		free(b64);
	} else {
		return 0;
	}
	if (!(c->auth = buf_take(&b)))
		return oom(e);
	return 0;
}

static int conn_init(struct conn *c, const struct prom_source *p, int64_t step_ms,
		     struct srerr *e)
{
	const char *rest;
	size_t n;

	c->p = p;
	c->step_ms = step_ms;
	if (!p->url || !*p->url) {
		srerr_set(e, "usage", "no prometheus URL");
		return -1;
	}
	prom_display_url(p->url, c->shown, sizeof(c->shown));
	n = strlen(p->url);
	while (n > 0 && p->url[n - 1] == '/')
		n--;
	rest = strstr(p->url, "://");
	if (n >= sizeof(c->base) || (rest && strpbrk(rest, "?#"))) {
		char shown[200];
		srerr_shorten(c->shown, shown, sizeof(shown));
		srerr_set(e, "usage", "invalid prometheus URL '%s': expected http(s)://host:port "
			  "with an optional path, without a query or fragment", shown);
		return -1;
	}
	memcpy(c->base, p->url, n);
	c->base[n] = '\0';
	n = strlen(c->shown);
	while (n > 0 && c->shown[n - 1] == '/')
		c->shown[--n] = '\0';
	return make_auth(c, e);
}

static char *range_url(const struct conn *c, const char *query, int64_t start, int64_t end)
{
	struct sbuf b = { 0 };

	sbuf_puts(&b, c->base);
	sbuf_puts(&b, "/api/v1/query_range?query=");
	buf_add_encoded(&b, query);
	sbuf_puts(&b, "&start=");
	buf_add_seconds(&b, start);
	sbuf_puts(&b, "&end=");
	buf_add_seconds(&b, end);
	sbuf_puts(&b, "&step=");
	buf_add_seconds(&b, c->step_ms);
	return buf_take(&b);
}

/* "prometheus at 'URL': good query 'Q' " + what e says (a phrase starting with a verb). */
static void blame(const struct conn *c, const char *which, const char *query, struct srerr *e)
{
	char q[QUERY_SHOWN], url[200], msg[SRERR_MSG_MAX];

	srerr_shorten(query, q, sizeof(q));
	srerr_shorten(c->shown, url, sizeof(url));
	snprintf(msg, sizeof(msg), "prometheus at '%s': %s query '%s' %s", url, which, q, e->msg);
	memcpy(e->msg, msg, sizeof(msg));
	prom_redact(c->p, e);
}

/* The body's "error" text when a non-200 answer has Prometheus' JSON error object. */
static int status_error(const struct http_result *r, struct srerr *e)
{
	struct prom_matrix m;
	char excerpt[SERVER_TEXT];
	size_t i;

	if (prom_parse_matrix(r->body, r->body_len, &m, e) < 0 && !strncmp(e->msg, "failed: ", 8)) {
		prom_matrix_release(&m);
		return -1;
	}
	prom_matrix_release(&m);
	for (i = 0; i < r->body_len && i < sizeof(excerpt) - 1 && r->body[i] != '\n'; i++)
		excerpt[i] = (unsigned char)r->body[i] < 0x20 ? ' ' : r->body[i];
	while (i > 0 && excerpt[i - 1] == ' ')
		i--;
	excerpt[i] = '\0';
	srerr_set(e, "prometheus", "failed: status %ld%s%s", r->status, i ? ": " : "", excerpt);
	return -1;
}

/* Run one range query; fill m.  0, or -1 and e (already blamed on the query). */
static int fetch(struct conn *c, const char *which, const char *query, int64_t start,
		 int64_t end, struct prom_matrix *m, struct srerr *e)
{
	const char *headers[1] = { c->auth };
	struct http_request req = {
		.display_url = c->shown, .headers = headers, .nheaders = c->auth ? 1 : 0,
		.timeout_ms = c->p->timeout_ms > 0 ? c->p->timeout_ms : PROM_DEFAULT_TIMEOUT_MS,
		.insecure = c->p->insecure, .cacert = c->p->cacert, .max_body = PROM_MAX_BODY,
	};
	struct http_result *r;
	char *url = range_url(c, query, start, end);
	char shown[200];
	int rc = -1;
	struct srerr fe;

	m->v = NULL;
	m->n = m->series = 0;
	if (!url)
		return oom(e);
	req.url = url;
	if (c->p->stats)
		c->p->stats->requests++;
	r = http_fetch(&req, &fe);
	free(url);
	srerr_shorten(c->shown, shown, sizeof(shown));
	if (!r || r->failed) {
		const struct srerr *why = r ? &r->err : &fe;
		srerr_set(e, !strcmp(why->code, "invalid_request") ? "usage" : "io",
			  "cannot query prometheus at '%s': %s", shown, why->msg);
		prom_redact(c->p, e);
	} else if (r->status != 200) {
		status_error(r, e);
		blame(c, which, query, e);
	} else if (prom_parse_matrix(r->body, r->body_len, m, e) < 0) {
		if (!strcmp(e->code, "prometheus"))
			blame(c, which, query, e);
	} else {
		rc = 0;
	}
	http_result_free(r);
	return rc;
}

/* ---- filling ------------------------------------------------------------------------ */

/* Both queries over instants start, start + step, ..., end; their pairs into s. */
static int fill_chunk(struct conn *c, const char *q, const char *total, int64_t start,
		      int64_t end, struct slo_series *s, struct srerr *e)
{
	const struct prom_source *p = c->p;
	struct prom_matrix mq, mt;
	struct prom_pair *pairs = NULL;
	size_t i, n;
	int rc = -1;

	mt.v = NULL;
	if (fetch(c, p->bad_query ? "bad" : "good", q, start, end, &mq, e) < 0 ||
	    fetch(c, "total", total, start, end, &mt, e) < 0)
		goto out;
	if (mt.n && !(pairs = calloc(mt.n, sizeof(*pairs)))) {
		oom(e);
		goto out;
	}
	n = prom_pair(&mq, &mt, p->bad_query != NULL, pairs, p->stats);
	for (i = 0; i < n; i++) {
		/* a server's answer outside the instants asked for is not trusted */
		if (pairs[i].t < start || pairs[i].t > end || (pairs[i].t - start) % c->step_ms) {
			if (p->stats)
				p->stats->skipped++;
			continue;
		}
		/* the value at T counts (T - step, T]: the bucket starting at T - step */
		if (slo_series_add(s, pairs[i].t - c->step_ms, pairs[i].good, pairs[i].total) == 1 &&
		    p->stats)
			p->stats->added++;
	}
	rc = 0;
out:
	free(pairs);
	prom_matrix_release(&mq);
	prom_matrix_release(&mt);
	return rc;
}

static int check_queries(const struct prom_source *p, struct srerr *e)
{
	if (!p->total_query || !*p->total_query) {
		srerr_set(e, "usage", "no total query");
		return -1;
	}
	if (!p->good_query == !p->bad_query) {
		srerr_set(e, "usage", "expected exactly one of a good query and a bad query");
		return -1;
	}
	if (!*(p->good_query ? p->good_query : p->bad_query)) {
		srerr_set(e, "usage", "empty %s query", p->good_query ? "good" : "bad");
		return -1;
	}
	return 0;
}

int prom_fill(const struct prom_source *p, const struct slo_def *d, int64_t now,
	      struct slo_series *s, struct srerr *e)
{
	int64_t step = slo_bucket_ms(d), span = slo_span_ms(d), n, first, last, start, end;
	char *q = NULL, *total = NULL;
	struct srerr local;
	struct conn c;
	int rc = -1;

	e = e ? e : &local;        /* the messages are edited in place below */
	memset(&c, 0, sizeof(c));
	if (check_queries(p, e) < 0 || conn_init(&c, p, step, e) < 0 || http_global_init(e) < 0)
		goto out;
	q = prom_expand_query(p->good_query ? p->good_query : p->bad_query, step);
	total = prom_expand_query(p->total_query, step);
	if (!q || !total) {
		oom(e);
		goto out;
	}
	/* instants on bucket boundaries, the last one at or before now */
	last = now - ((now % step) + step) % step;
	n = span / step > 0 ? span / step : 1;
	first = last - (n - 1) * step;
	for (start = first; start <= last; start = end + step) {
		end = start + (PROM_MAX_POINTS - 1) * step;
		if (end > last)
			end = last;
		if (fill_chunk(&c, q, total, start, end, s, e) < 0)
			goto out;
	}
	rc = 0;
out:
	free(q);
	free(total);
	conn_release(&c);
	return rc;
}

/* ---- secrets from files ------------------------------------------------------------- */

char *prom_read_secret(const char *path, const char *what, struct srerr *e)
{
	char *s = malloc(PROM_SECRET_MAX + 2);
	size_t n = 0;
	ssize_t r = 0;
	int fd;

	if (!s) {
		oom(e);
		return NULL;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		srerr_set(e, "io", "cannot read the %s file '%s': %s", what, path, strerror(errno));
		free(s);
		return NULL;
	}
	while (n < PROM_SECRET_MAX + 1 &&
	       ((r = read(fd, s + n, PROM_SECRET_MAX + 1 - n)) > 0 || (r < 0 && errno == EINTR)))
		n += r > 0 ? (size_t)r : 0;
	if (r < 0)
		srerr_set(e, "io", "cannot read the %s file '%s': %s", what, path, strerror(errno));
	close(fd);
	s[n] = '\0';
	if (r >= 0 && n > 0 && s[n - 1] == '\n')
		s[--n] = '\0';
	if (r >= 0 && n > 0 && s[n - 1] == '\r')
		s[--n] = '\0';
	if (r >= 0 && n > PROM_SECRET_MAX)
		srerr_set(e, "usage", "the %s file '%s' is longer than %d bytes", what, path,
			  PROM_SECRET_MAX);
	else if (r >= 0 && n == 0)
		srerr_set(e, "usage", "the %s file '%s' is empty", what, path);
	else if (r >= 0 && (has_control(s) || strlen(s) != n))
		srerr_set(e, "usage", "the %s file '%s' holds a control character", what, path);
	else if (r >= 0)
		return s;
	explicit_bzero(s, PROM_SECRET_MAX + 2);
	free(s);
	return NULL;
}
