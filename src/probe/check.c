#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "check.h"
#include "tm.h"
#include "banned.h"

/* ---- status lists ------------------------------------------------------------ */

static int parse_status_number(const char *s, size_t len, int *out)
{
	int v = 0;

	if (len != 3)
		return -1;
	for (size_t i = 0; i < 3; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v < 100)
		return -1;
	*out = v;
	return 0;
}

/* One item of a list: "200", "2xx" or "200-399". */
static int parse_status_item(const char *s, size_t len, int *lo, int *hi)
{
	const char *dash = memchr(s, '-', len);

	if (dash)
		return parse_status_number(s, (size_t)(dash - s), lo) == -1 ||
		       parse_status_number(dash + 1, len - (size_t)(dash - s) - 1, hi) == -1 ||
		       *lo > *hi ? -1 : 0;
	if (len == 3 && s[0] >= '1' && s[0] <= '9' && (s[1] == 'x' || s[1] == 'X') &&
	    (s[2] == 'x' || s[2] == 'X')) {
		*lo = (s[0] - '0') * 100;
		*hi = *lo + 99;
		return 0;
	}
	if (parse_status_number(s, len, lo) == -1)
		return -1;
	*hi = *lo;
	return 0;
}

int check_status_parse(const char *s, struct check_status_set *out, struct srerr *e)
{
	const char *p = s;

	memset(out, 0, sizeof(*out));
	for (;;) {
		size_t len = strcspn(p, ",");
		const char *item = p, *end = p + len;

		while (item < end && isspace((unsigned char)*item))
			item++;
		while (end > item && isspace((unsigned char)end[-1]))
			end--;
		if (out->n == CHECK_STATUS_MAX ||
		    parse_status_item(item, (size_t)(end - item), &out->r[out->n].lo,
				      &out->r[out->n].hi) == -1) {
			srerr_set(e, "usage", "invalid status list '%s': expected statuses, "
				  "classes or ranges like 200,204 or 2xx or 200-399", s);
			return -1;
		}
		out->n++;
		if (p[len] == '\0')
			break;
		p += len + 1;
	}
	snprintf(out->text, sizeof(out->text), "%s", s);
	return 0;
}

void check_status_default(struct check_status_set *out)
{
	memset(out, 0, sizeof(*out));
	out->r[0].lo = 200;
	out->r[0].hi = 399;
	out->n = 1;
	snprintf(out->text, sizeof(out->text), "200-399");
}

int check_status_match(const struct check_status_set *set, long status)
{
	for (size_t i = 0; i < set->n; i++)
		if (status >= set->r[i].lo && status <= set->r[i].hi)
			return 1;
	return 0;
}

/* ---- header expectations ----------------------------------------------------- */

/* RFC 9110 token characters */
static int is_tchar(int c)
{
	return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

int check_header_split(const char *arg, size_t *name_len, const char **pattern,
		       struct srerr *e)
{
	const char *colon = strchr(arg, ':');
	size_t n = colon ? (size_t)(colon - arg) : 0;

	for (size_t i = 0; i < n; i++)
		if (!is_tchar((unsigned char)arg[i]))
			n = 0;
	if (n == 0) {
		srerr_set(e, "usage", "invalid header check '%s': expected 'Name: REGEX'", arg);
		return -1;
	}
	*name_len = n;
	colon++;
	while (*colon == ' ' || *colon == '\t')
		colon++;
	*pattern = colon;
	return 0;
}

void check_init(struct probe_checks *c)
{
	memset(c, 0, sizeof(*c));
	check_status_default(&c->status);
	c->max_latency_ms = -1;
	c->warn_latency_ms = -1;
	c->cert_min_days = -1;
	c->warn_cert_days = -1;
}

/* ---- excerpts ---------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at p (at most n bytes), 0 if invalid. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	size_t len = p[0] < 0x80 ? 1 : p[0] >= 0xc2 && p[0] <= 0xdf ? 2 :
		     p[0] >= 0xe0 && p[0] <= 0xef ? 3 : p[0] >= 0xf0 && p[0] <= 0xf4 ? 4 : 0;

	if (len == 0 || len > n)
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] > 0x9f) ||
	    (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] > 0x8f))
		return 0;
	return len;
}

static int is_control(const unsigned char *p, size_t len)
{
	if (len == 1)
		return p[0] < 0x20 || p[0] == 0x7f;
	return len == 2 && p[0] == 0xc2 && p[1] < 0xa0;   /* C1 controls */
}

void check_excerpt(const char *data, size_t len, char *out, size_t size)
{
	const unsigned char *p = (const unsigned char *)data, *end = p + len;
	size_t used = 0, max = size > 4 ? size - 4 : 0;
	int space = 0;

	if (max > CHECK_EXCERPT_MAX)
		max = CHECK_EXCERPT_MAX;
	while (p < end) {
		size_t n = utf8_len(p, (size_t)(end - p));
		int blank = n == 0 ? 0 : is_control(p, n) || *p == ' ';

		if (blank) {
			space = used > 0;
			p += n;
			continue;
		}
		if (used + space + (n ? n : 1) > max)
			break;
		if (space)
			out[used++] = ' ';
		space = 0;
		if (n == 0)
			out[used++] = '?';
		else
			memcpy(out + used, p, n);
		used += n;
		p += n ? n : 1;
	}
	if (p < end && size > used + 3)
		memcpy(out + used, "...", 3), used += 3;
	if (size)
		out[used < size ? used : size - 1] = '\0';
}

/* ---- evaluation -------------------------------------------------------------- */

static void add_check(struct check_verdict *v, const char *name, int ok, jv expected, jv actual)
{
	jv c = jv_object();

	c = jv_object_set(c, jv_string("check"), jv_string(name));
	c = jv_object_set(c, jv_string("ok"), jv_bool(ok));
	c = jv_object_set(c, jv_string("expected"), expected);
	if (jv_is_valid(actual))
		c = jv_object_set(c, jv_string("actual"), actual);
	else
		jv_free(actual);
	v->checks = jv_array_append(v->checks, c);
}

__attribute__((format(printf, 3, 4)))
static void verdict_fail(struct check_verdict *v, const char *code, const char *fmt, ...)
{
	va_list ap;
	char msg[SRERR_MSG_MAX];

	if (v->failed)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	v->failed = 1;
	srerr_set(&v->error, code, "%s", msg);
}

__attribute__((format(printf, 3, 4)))
static void verdict_warn(struct check_verdict *v, const char *code, const char *fmt, ...)
{
	va_list ap;
	char msg[SRERR_MSG_MAX];
	jv w = jv_object();

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!v->warned)
		srerr_set(&v->warning, code, "%s", msg);
	v->warned = 1;
	w = jv_object_set(w, jv_string("code"), jv_string(code));
	w = jv_object_set(w, jv_string("message"), jv_string(msg));
	v->warnings = jv_array_append(v->warnings, w);
}

static void run_status(const struct probe_checks *c, const struct check_input *in,
		       struct check_verdict *v)
{
	int ok = check_status_match(&c->status, in->status);

	add_check(v, "status", ok, jv_string(c->status.text), jv_number((double)in->status));
	if (ok)
		return;
	verdict_fail(v, "status", "status %ld, expected %s", in->status, c->status.text);
	if (in->status == 408 || in->status == 429 || (in->status >= 500 && in->status <= 599))
		v->retryable_status = 1;
}

static const char *find_header(const struct check_input *in, const char *name)
{
	for (size_t i = 0; i < in->nheaders; i++)
		if (strcasecmp(in->headers[i].name, name) == 0)
			return in->headers[i].value;
	return NULL;
}

static void run_header(const struct check_header *h, const struct check_input *in,
		       struct check_verdict *v)
{
	const char *value = find_header(in, h->name);
	char shown[CHECK_EXCERPT_MAX + 8];
	struct srerr e;
	int rc;

	if (!value) {
		add_check(v, "header", 0, jv_string(h->text), jv_invalid());
		verdict_fail(v, "header", "header '%s' missing, expected '%s'", h->name, h->text);
		return;
	}
	check_excerpt(value, strlen(value), shown, sizeof(shown));
	rc = rx_match(h->rx, value, strlen(value), &e);
	add_check(v, "header", rc == 1, jv_string(h->text), jv_string(shown));
	if (rc == 0)
		verdict_fail(v, "header", "header '%s: %s' does not match '%s'", h->name, shown,
		     rx_pattern(h->rx));
	else if (rc < 0)
		verdict_fail(v, "header", "header check '%s' gave no verdict: %s", h->text, e.msg);
}

static void run_body(const struct probe_checks *c, const struct check_input *in,
		     struct check_verdict *v)
{
	char excerpt[CHECK_EXCERPT_MAX + 8];
	struct srerr e;
	int rc = rx_match(c->body, in->body, in->body_len, &e);

	check_excerpt(in->body, in->body_len, excerpt, sizeof(excerpt));
	add_check(v, "body", rc == 1, jv_string(rx_pattern(c->body)),
		  rc == 1 ? jv_invalid() : jv_string(excerpt));
	if (rc == 0)
		verdict_fail(v, "body", "body does not match '%s': \"%s\"", rx_pattern(c->body), excerpt);
	else if (rc < 0)
		verdict_fail(v, "body", "body check '%s' gave no verdict: %s", rx_pattern(c->body), e.msg);
}

/* The body is parsed (strictly) and evaluated in jqx's child: never here. */
static void run_json(const struct probe_checks *c, const struct check_input *in,
		     struct check_verdict *v)
{
	char excerpt[CHECK_EXCERPT_MAX + 8];
	struct srerr e;
	int rc = jqx_truthy_isolated_text(c->json, in->body, in->body_len, in->jq_limits, &e);

	check_excerpt(in->body, in->body_len, excerpt, sizeof(excerpt));
	add_check(v, "json", rc == 1, jv_string(jqx_expr(c->json)),
		  rc == 1 ? jv_invalid() : jv_string(excerpt));
	if (rc == 0)
		verdict_fail(v, "json", "expect-json '%s' is not true: \"%s\"", jqx_expr(c->json), excerpt);
	else if (rc < 0 && strcmp(e.code, "json_parse") == 0)
		verdict_fail(v, "json", "response body is not JSON: %s", e.msg);
	else if (rc < 0)
		verdict_fail(v, "json", "%s", e.msg);
}

static jv latency_expected(int64_t ms)
{
	char d[TM_DURATION_SIZE], text[TM_DURATION_SIZE + 4];

	snprintf(text, sizeof(text), "< %s", tm_format_duration(ms, d));
	return jv_string(text);
}

static void run_latency(const struct probe_checks *c, const struct check_input *in,
			struct check_verdict *v)
{
	char actual[64], d[TM_DURATION_SIZE];
	int over_max = c->max_latency_ms >= 0 && in->total_ms > (double)c->max_latency_ms;
	int over_warn = !over_max && c->warn_latency_ms >= 0 &&
			in->total_ms > (double)c->warn_latency_ms;
	int64_t shown = over_warn || c->max_latency_ms < 0 ? c->warn_latency_ms : c->max_latency_ms;
	jv entry;

	snprintf(actual, sizeof(actual), "%.1fms", in->total_ms);
	add_check(v, "latency", !over_max, latency_expected(shown), jv_string(actual));
	if (over_warn) {
		entry = jv_array_get(jv_copy(v->checks), jv_array_length(jv_copy(v->checks)) - 1);
		entry = jv_object_set(entry, jv_string("state"), jv_string("warning"));
		v->checks = jv_array_set(v->checks, jv_array_length(jv_copy(v->checks)) - 1, entry);
		verdict_warn(v, "latency", "total %s over warning threshold %s", actual,
		     tm_format_duration(c->warn_latency_ms, d));
	}
	if (over_max)
		verdict_fail(v, "latency", "total %s over the limit of %s", actual,
		     tm_format_duration(c->max_latency_ms, d));
}

static void run_cert(const struct probe_checks *c, const struct check_input *in,
		     struct check_verdict *v)
{
	int under_min = c->cert_min_days >= 0 && in->days_left < c->cert_min_days;
	int under_warn = !under_min && c->warn_cert_days >= 0 && in->days_left < c->warn_cert_days;
	double shown = under_warn || c->cert_min_days < 0 ? c->warn_cert_days : c->cert_min_days;
	char expected[64];
	jv entry = jv_object();

	snprintf(expected, sizeof(expected), ">= %g days", shown);
	entry = jv_object_set(entry, jv_string("check"), jv_string("cert_expiry"));
	entry = jv_object_set(entry, jv_string("ok"), jv_bool(!under_min));
	if (under_warn)
		entry = jv_object_set(entry, jv_string("state"), jv_string("warning"));
	entry = jv_object_set(entry, jv_string("expected"), jv_string(expected));
	entry = jv_object_set(entry, jv_string("actual"), jv_number(round(in->days_left * 10) / 10));
	v->checks = jv_array_append(v->checks, entry);
	if (under_warn)
		verdict_warn(v, "cert_expiry", "certificate expires in %.1f days, warning threshold %g days",
		     in->days_left, c->warn_cert_days);
	if (under_min)
		verdict_fail(v, "cert_expiry", "certificate expires in %.1f days, expected at least %g days",
		     in->days_left, c->cert_min_days);
}

void check_run(const struct probe_checks *c, const struct check_input *in,
	       struct check_verdict *v)
{
	memset(v, 0, sizeof(*v));
	v->checks = jv_array();
	v->warnings = jv_array();
	if (in->has_status) {
		run_status(c, in, v);
		for (size_t i = 0; i < c->nheaders; i++)
			run_header(&c->headers[i], in, v);
		if (c->body)
			run_body(c, in, v);
		if (c->json)
			run_json(c, in, v);
	}
	if (c->max_latency_ms >= 0 || c->warn_latency_ms >= 0)
		run_latency(c, in, v);
	if (in->has_cert && (c->cert_min_days >= 0 || c->warn_cert_days >= 0))
		run_cert(c, in, v);
}

void check_verdict_release(struct check_verdict *v)
{
	jv_free(v->checks);
	jv_free(v->warnings);
	v->checks = jv_invalid();
	v->warnings = jv_invalid();
}
