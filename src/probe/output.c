/*
 * probe's output formats; see output.h and man 1 probe, "OUTPUT FORMATS".
 *
 * Records are decoded once into struct result (plain C strings and numbers), from
 * which every format but ndjson and json is rendered into a growing buffer and written
 * out in one piece.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "output.h"
#include "fsx.h"
#include "http.h"
#include "ndjson.h"
#include "tm.h"
#include "sbuf.h"
#include "banned.h"

#define PUSH_TIMEOUT_MS 10000
#define PUSH_DEFAULT_GROUP "/metrics/job/probe"
#define NAGIOS_LISTED 3          /* problems named on a several-target status line */
#define EXCERPT_MAX 200          /* bytes of a Pushgateway error body quoted */

/* ---- a growing string ------------------------------------------------------------ */

/* The content, "" when empty (never NULL). */
/* ---- one decoded probe.result ---------------------------------------------------- */

enum pstate { PS_OK, PS_WARNING, PS_CRITICAL, PS_UNKNOWN };  /* Nagios' numbering */

struct result {
	char *name, *target, *type;     /* never NULL ("" when absent) */
	int64_t start_ms;               /* "time"; valid when has_start */
	int has_start;
	int failed;                     /* "ok": false, or a warning under --strict */
	enum pstate state;              /* for nagios, after --strict */
	int warning;                    /* state "warning" */
	long attempts;
	double duration_ms;             /* NAN when absent, as every double below */
	double earlier_ms;              /* the failed attempts' duration_ms before the last
					   (attempt_errors), summed; 0 when none says */
	int has_timing;
	double t_dns, t_connect, t_tls, t_ttfb, t_transfer;
	char *ip;                       /* NULL when absent, as every char * below */
	int has_http;
	double status, bytes, redirects;
	char *http_version;
	int has_tls;
	char *tls_version;
	double expiry_s;                /* earliest notAfter of the chain, epoch seconds */
	double days_left;
	long dns_count;
	char *dns_first;
	double exec_exit;
	char *exec_signal;
	char *err_code, *err_msg;
	char *warn_msg;                 /* every warning's message, joined by "; " */
	char *attempt_log;              /* "attempt N: code: message" lines, or NULL */
	int regex_checks, regex_failed; /* body and header checks, and how many failed */
};

struct vec {
	struct result **v;
	size_t n, cap;
};

/* A member of obj (borrowed), owned by the caller; jv_invalid() when absent. */
static jv member(jv obj, const char *key)
{
	if (jv_get_kind(obj) != JV_KIND_OBJECT)
		return jv_invalid();
	return jv_object_get(jv_copy(obj), jv_string(key));
}

/* A copy of the string member key, or NULL when it is absent or not a string. */
static char *str_member(jv obj, const char *key, int *oom)
{
	jv v = member(obj, key);
	char *s = NULL;

	if (jv_get_kind(v) == JV_KIND_STRING && !(s = strdup(jv_string_value(v))))
		*oom = 1;
	jv_free(v);
	return s;
}

static double num_member(jv obj, const char *key)
{
	jv v = member(obj, key);
	double d = jv_get_kind(v) == JV_KIND_NUMBER ? jv_number_value(v) : NAN;

	jv_free(v);
	return d;
}

/* 1 true, 0 false, -1 absent or not a boolean */
static int bool_member(jv obj, const char *key)
{
	jv v = member(obj, key);
	int k = jv_get_kind(v);

	jv_free(v);
	return k == JV_KIND_TRUE ? 1 : k == JV_KIND_FALSE ? 0 : -1;
}

/* An RFC 3339 string member as epoch seconds, NAN when absent or malformed. */
static double time_member(jv obj, const char *key)
{
	jv v = member(obj, key);
	int64_t ms;
	double d = NAN;

	if (jv_get_kind(v) == JV_KIND_STRING && tm_parse_rfc3339(jv_string_value(v), &ms, NULL) == 0)
		d = (double)ms / 1000.0;
	jv_free(v);
	return d;
}

static char *sb_take(struct sbuf *b, int *oom)
{
	char *s;

	if (b->oom || !b->p) {
		*oom |= b->oom;
		sbuf_release(b);
		return NULL;
	}
	s = b->p;
	b->p = NULL;
	sbuf_release(b);
	return s;
}

static void decode_timing(struct result *r, jv rec)
{
	jv t = member(rec, "timing_ms");

	r->has_timing = jv_get_kind(t) == JV_KIND_OBJECT;
	r->t_dns = num_member(t, "dns");
	r->t_connect = num_member(t, "connect");
	r->t_tls = num_member(t, "tls");
	r->t_ttfb = num_member(t, "ttfb");
	r->t_transfer = num_member(t, "transfer");
	jv_free(t);
}

static void decode_http_tls(struct result *r, jv rec, int *oom)
{
	jv h = member(rec, "http"), t = member(rec, "tls");

	r->has_http = jv_get_kind(h) == JV_KIND_OBJECT;
	r->status = num_member(h, "status");
	r->bytes = num_member(h, "bytes");
	r->redirects = num_member(h, "redirects");
	r->http_version = str_member(h, "version", oom);
	r->has_tls = jv_get_kind(t) == JV_KIND_OBJECT;
	r->tls_version = str_member(t, "version", oom);
	r->expiry_s = time_member(t, "chain_earliest_not_after");
	if (isnan(r->expiry_s))
		r->expiry_s = time_member(t, "not_after");
	r->days_left = num_member(t, "days_left");
	jv_free(h);
	jv_free(t);
}

static void decode_dns_exec(struct result *r, jv rec, int *oom)
{
	jv d = member(rec, "dns"), x = member(rec, "exec");
	jv a = member(d, "addresses");

	r->dns_count = -1;
	if (jv_get_kind(a) == JV_KIND_ARRAY) {
		r->dns_count = jv_array_length(jv_copy(a));
		if (r->dns_count > 0) {
			jv first = jv_array_get(jv_copy(a), 0);
			if (jv_get_kind(first) == JV_KIND_STRING &&
			    !(r->dns_first = strdup(jv_string_value(first))))
				*oom = 1;
			jv_free(first);
		}
	}
	r->exec_exit = num_member(x, "exit");
	r->exec_signal = str_member(x, "signal", oom);
	jv_free(a);
	jv_free(d);
	jv_free(x);
}

/* The messages of an array of {"code", "message"} objects joined by sep; NULL if none. */
static char *join_messages(jv arr, const char *sep, int with_attempt, int *oom)
{
	struct sbuf b = { 0 };
	int i, n;

	if (jv_get_kind(arr) != JV_KIND_ARRAY)
		return NULL;
	n = jv_array_length(jv_copy(arr));
	for (i = 0; i < n; i++) {
		jv item = jv_array_get(jv_copy(arr), i);
		char *code = str_member(item, "code", oom), *msg = str_member(item, "message", oom);
		double attempt = num_member(item, "attempt");

		if (b.len)
			sbuf_puts(&b, sep);
		if (with_attempt && !isnan(attempt))
			sbuf_printf(&b, "attempt %.0f: ", attempt);
		if (with_attempt && code)
			sbuf_printf(&b, "%s: ", code);
		sbuf_puts(&b, msg ? msg : code ? code : "?");
		free(code);
		free(msg);
		jv_free(item);
	}
	return sb_take(&b, oom);
}

/* Count the regex checks (body, header) and their failures, as blackbox reports them. */
static void decode_checks(struct result *r, jv rec, int *oom)
{
	jv checks = member(rec, "checks");
	int i, n;

	if (jv_get_kind(checks) == JV_KIND_ARRAY) {
		n = jv_array_length(jv_copy(checks));
		for (i = 0; i < n; i++) {
			jv c = jv_array_get(jv_copy(checks), i);
			char *what = str_member(c, "check", oom);

			if (what && (!strcmp(what, "body") || !strcmp(what, "header"))) {
				r->regex_checks++;
				r->regex_failed += bool_member(c, "ok") == 0;
			}
			free(what);
			jv_free(c);
		}
	}
	jv_free(checks);
	if (r->err_code && (!strcmp(r->err_code, "body") || !strcmp(r->err_code, "header")) &&
	    !r->regex_failed) {
		r->regex_checks++;
		r->regex_failed = 1;
	}
}

/* The sum of the "duration_ms" of the entries of arr (attempt_errors); 0 if none. */
static double sum_durations(jv arr)
{
	double sum = 0;
	int i, n;

	if (jv_get_kind(arr) != JV_KIND_ARRAY)
		return 0;
	n = jv_array_length(jv_copy(arr));
	for (i = 0; i < n; i++) {
		jv item = jv_array_get(jv_copy(arr), i);
		double d = num_member(item, "duration_ms");

		if (!isnan(d) && d > 0)
			sum += d;
		jv_free(item);
	}
	return sum;
}

static void decode_errors(struct result *r, jv rec, int *oom)
{
	jv err = member(rec, "error"), warns = member(rec, "warnings");
	jv attempts = member(rec, "attempt_errors");

	r->err_code = str_member(err, "code", oom);
	r->err_msg = str_member(err, "message", oom);
	r->warn_msg = join_messages(warns, "; ", 0, oom);
	r->attempt_log = join_messages(attempts, "\n", 1, oom);
	r->earlier_ms = sum_durations(attempts);
	jv_free(err);
	jv_free(warns);
	jv_free(attempts);
}

/*
 * The verdict.  A record without "ok" is judged by its "state"; the error code
 * invalid_spec (the check could not even be made) is Nagios' UNKNOWN.
 */
static void decode_verdict(struct result *r, jv rec, int strict, int *oom)
{
	char *state = str_member(rec, "state", oom);
	int ok = bool_member(rec, "ok");

	r->warning = state && !strcmp(state, "warning");
	if (ok < 0)
		ok = !(state && !strcmp(state, "critical"));
	r->failed = !ok || (strict && r->warning);
	if (r->err_code && !strcmp(r->err_code, "invalid_spec"))
		r->state = PS_UNKNOWN;
	else if (r->failed)
		r->state = PS_CRITICAL;
	else if (r->warning)
		r->state = PS_WARNING;
	else if (!state || !strcmp(state, "ok"))
		r->state = PS_OK;
	else
		r->state = PS_UNKNOWN;
	free(state);
}

static void result_free(struct result *r)
{
	if (!r)
		return;
	free(r->name);
	free(r->target);
	free(r->type);
	free(r->ip);
	free(r->http_version);
	free(r->tls_version);
	free(r->dns_first);
	free(r->exec_signal);
	free(r->err_code);
	free(r->err_msg);
	free(r->warn_msg);
	free(r->attempt_log);
	free(r);
}

static char *str_or_empty(char *s, int *oom)
{
	if (s)
		return s;
	if (!(s = strdup("")))
		*oom = 1;
	return s;
}

/* Decode rec (borrowed, an object) into a new result; NULL when memory ran out. */
static struct result *result_decode(jv rec, int strict)
{
	struct result *r = calloc(1, sizeof(*r));
	int oom = 0;
	double attempts;
	jv time;

	if (!r)
		return NULL;
	r->target = str_or_empty(str_member(rec, "target", &oom), &oom);
	r->name = str_member(rec, "name", &oom);
	if (!r->name && r->target && !(r->name = strdup(r->target)))
		oom = 1;
	r->type = str_or_empty(str_member(rec, "type", &oom), &oom);
	time = member(rec, "time");
	r->has_start = jv_get_kind(time) == JV_KIND_STRING &&
		       tm_parse_rfc3339(jv_string_value(time), &r->start_ms, NULL) == 0;
	jv_free(time);
	attempts = num_member(rec, "attempts");
	r->attempts = isnan(attempts) ? 1 : (long)attempts;
	r->duration_ms = num_member(rec, "duration_ms");
	r->ip = str_member(rec, "ip", &oom);
	decode_timing(r, rec);
	decode_http_tls(r, rec, &oom);
	decode_dns_exec(r, rec, &oom);
	decode_errors(r, rec, &oom);
	decode_checks(r, rec, &oom);
	decode_verdict(r, rec, strict, &oom);
	if (oom || !r->name) {
		result_free(r);
		return NULL;
	}
	return r;
}

static int vec_push(struct vec *v, struct result *r)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? 2 * v->cap : 16;
		struct result **p = realloc(v->v, cap * sizeof(*p));

		if (!p)
			return -1;
		v->v = p;
		v->cap = cap;
	}
	v->v[v->n++] = r;
	return 0;
}

/* Keep r as the one result of its name and target: replace an earlier one in place. */
static int vec_keep(struct vec *v, struct result *r)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		if (!strcmp(v->v[i]->name, r->name) && !strcmp(v->v[i]->target, r->target)) {
			result_free(v->v[i]);
			v->v[i] = r;
			return 0;
		}
	return vec_push(v, r);
}

static void vec_clear(struct vec *v)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		result_free(v->v[i]);
	v->n = 0;
}

static void vec_release(struct vec *v)
{
	vec_clear(v);
	free(v->v);
	v->v = NULL;
	v->cap = 0;
}

/* ---- the output object ------------------------------------------------------------- */

struct probe_output {
	enum cli_format format;
	int color, streaming, strict;
	double warn_latency_ms, max_latency_ms;
	char *textfile;
	char *push_url;          /* with the grouping path */
	char *push_shown;        /* push_url for messages: any user:password@ is *** */
	struct ndj_writer w;
	struct vec rows;         /* text: the round's lines not yet printed */
	struct vec kept;         /* prometheus, nagios, junit: one result per target */
	size_t pending;          /* records kept since the last emission */
	int emitted;             /* prometheus has emitted at least once */
	int any_failed;
	size_t width[4];         /* text: name, target, detail, time columns so far */
};

/* Write len bytes to standard output; a failure ends the process (stream contract). */
static void out_write(const char *s, size_t len)
{
	if (len && fwrite(s, 1, len, stdout) != len)
		cli_stdout_failed(errno ? errno : EIO);
}

static void out_flush_if_streaming(const struct probe_output *o)
{
	if (o->streaming)
		cli_flush_stdout();
}

static int oom_error(struct srerr *e)
{
	srerr_set(e, "oom", "out of memory");
	return -1;
}

/* ---- text ------------------------------------------------------------------------- */

/* Append s with control characters shown as '?', so input cannot drive the terminal. */
static void sb_put_clean(struct sbuf *b, const char *s)
{
	for (; *s; s++)
		sbuf_putc(b, ((unsigned char)*s < 0x20 || *s == 0x7f) ? '?' : *s);
}

/* Display width: UTF-8 code points (each counted as one column). */
static size_t text_width(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* What the text and nagios lines say about the outcome beyond the verdict, or "-". */
static void text_detail(struct sbuf *b, const struct result *r)
{
	size_t start = b->len;

	if (!strcmp(r->type, "http") && !isnan(r->status) && r->status > 0)
		sbuf_printf(b, "%.0f", r->status);
	else if (!strcmp(r->type, "tls") && r->tls_version) {
		sb_put_clean(b, r->tls_version);
		if (!isnan(r->days_left))
			sbuf_printf(b, " %.0fd", floor(r->days_left));
	} else if (!strcmp(r->type, "dns") && r->dns_first) {
		sb_put_clean(b, r->dns_first);
		if (r->dns_count > 1)
			sbuf_printf(b, " +%ld", r->dns_count - 1);
	} else if (!strcmp(r->type, "exec") && r->exec_signal) {
		sbuf_puts(b, "signal ");
		sb_put_clean(b, r->exec_signal);
	} else if (!strcmp(r->type, "exec") && !isnan(r->exec_exit))
		sbuf_printf(b, "exit %.0f", r->exec_exit);
	else if (r->ip && strcmp(r->type, "http"))
		sb_put_clean(b, r->ip);
	if (b->len == start)
		sbuf_putc(b, '-');
}

static void text_message(struct sbuf *b, const struct result *r)
{
	const char *msg = r->failed ? (r->err_msg ? r->err_msg : r->warn_msg)
				    : r->warning ? r->warn_msg : NULL;

	if (msg)
		sb_put_clean(b, msg);
	if (r->attempts > 1)
		sbuf_printf(b, "%s(%ld attempts)", msg ? " " : "", r->attempts);
}

/* The five columns after the state word, each a malloc'ed string; -1 if out of memory. */
static int text_cells(const struct result *r, char *cell[5])
{
	struct sbuf b[5] = { { 0 } };
	int i, oom = 0;

	if (!strcmp(r->name, r->target))
		sbuf_putc(&b[0], '-');
	else
		sb_put_clean(&b[0], r->name);
	sb_put_clean(&b[1], r->target);
	text_detail(&b[2], r);
	if (isnan(r->duration_ms))
		sbuf_putc(&b[3], '-');
	else
		sbuf_printf(&b[3], "%.1fms", r->duration_ms);
	text_message(&b[4], r);
	sbuf_puts(&b[4], "");
	for (i = 0; i < 5; i++)
		if (!(cell[i] = sb_take(&b[i], &oom)))
			oom = 1;
	if (oom)
		for (i = 0; i < 5; i++) {
			free(cell[i]);
			cell[i] = NULL;
		}
	return oom ? -1 : 0;
}

static void text_grow_widths(struct probe_output *o, const struct result *r)
{
	char *cell[5];
	int i;

	if (text_cells(r, cell) < 0)
		return;
	for (i = 0; i < 4; i++) {
		size_t w = text_width(cell[i]);
		if (w > o->width[i])
			o->width[i] = w;
	}
	for (i = 0; i < 5; i++)
		free(cell[i]);
}

static void sb_pad(struct sbuf *b, size_t n)
{
	while (n--)
		sbuf_putc(b, ' ');
}

static void text_state_word(struct sbuf *b, const struct result *r, int color)
{
	const char *word = r->failed ? "FAIL" : r->warning ? "WARN" : "OK";
	const char *sgr = r->failed ? "\033[31m" : r->warning ? "\033[33m" : "\033[32m";

	if (color)
		sbuf_printf(b, "%s%s\033[0m", sgr, word);
	else
		sbuf_puts(b, word);
	sb_pad(b, 4 - strlen(word));
}

/*
 * One line: STATE  NAME  TARGET  DETAIL  TIME  MESSAGE, the columns padded to
 * o->width (TIME right-aligned), no trailing blanks.
 */
static int text_line(struct sbuf *b, const struct probe_output *o, const struct result *r)
{
	char *cell[5];
	int i;

	if (text_cells(r, cell) < 0)
		return -1;
	text_state_word(b, r, o->color);
	for (i = 0; i < 3; i++) {
		sbuf_puts(b, "  ");
		sbuf_puts(b, cell[i]);
		sb_pad(b, o->width[i] - text_width(cell[i]));
	}
	sbuf_puts(b, "  ");
	sb_pad(b, o->width[3] - text_width(cell[3]));
	sbuf_puts(b, cell[3]);
	if (*cell[4]) {
		sbuf_puts(b, "  ");
		sbuf_puts(b, cell[4]);
	}
	sbuf_putc(b, '\n');
	for (i = 0; i < 5; i++)
		free(cell[i]);
	return 0;
}

static int text_print(struct probe_output *o, struct result *const *rs, size_t n,
		      struct srerr *e)
{
	struct sbuf b = { 0 };
	size_t i;

	for (i = 0; i < n; i++)
		text_grow_widths(o, rs[i]);
	for (i = 0; i < n; i++)
		if (text_line(&b, o, rs[i]) < 0)
			b.oom = 1;
	if (b.oom) {
		sbuf_release(&b);
		return oom_error(e);
	}
	out_write(sbuf_str(&b), b.len);
	sbuf_release(&b);
	return 0;
}

/* Text of a round: printed aligned, then forgotten (the widths restart). */
static int text_flush_round(struct probe_output *o, struct srerr *e)
{
	int rc = text_print(o, o->rows.v, o->rows.n, e);

	vec_clear(&o->rows);
	if (!o->streaming)
		memset(o->width, 0, sizeof(o->width));
	return rc;
}

/* ---- prometheus ---------------------------------------------------------------------- */

/* A label value in the exposition format: backslash, double quote and newline escaped. */
static void sb_put_label(struct sbuf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			sbuf_puts(b, "\\\\");
		else if (*s == '"')
			sbuf_puts(b, "\\\"");
		else if (*s == '\n')
			sbuf_puts(b, "\\n");
		else
			sbuf_putc(b, *s);
	}
}

/* A sample: METRIC{name="...",target="..."[,EXTRA="VALUE"]} NUMBER */
static void prom_sample(struct sbuf *b, const char *metric, const struct result *r,
			const char *extra, const char *extra_value, double value)
{
	sbuf_puts(b, metric);
	sbuf_puts(b, "{name=\"");
	sb_put_label(b, r->name);
	sbuf_puts(b, "\",target=\"");
	sb_put_label(b, r->target);
	sbuf_putc(b, '"');
	if (extra) {
		sbuf_printf(b, ",%s=\"", extra);
		sb_put_label(b, extra_value);
		sbuf_putc(b, '"');
	}
	sbuf_printf(b, "} %.15g\n", value);
}

static int is_http(const struct result *r)
{
	return !strcmp(r->type, "http");
}

static void m_success(struct sbuf *b, const char *m, const struct result *r)
{
	prom_sample(b, m, r, NULL, NULL, !r->failed);
}

static void m_duration(struct sbuf *b, const char *m, const struct result *r)
{
	if (!isnan(r->duration_ms))
		prom_sample(b, m, r, NULL, NULL, r->duration_ms / 1000.0);
}

static void m_dns_lookup(struct sbuf *b, const char *m, const struct result *r)
{
	if (r->has_timing && !isnan(r->t_dns))
		prom_sample(b, m, r, NULL, NULL, r->t_dns / 1000.0);
}

static void m_ip_protocol(struct sbuf *b, const char *m, const struct result *r)
{
	if (r->ip && *r->ip)
		prom_sample(b, m, r, NULL, NULL, strchr(r->ip, ':') ? 6 : 4);
}

static void m_status(struct sbuf *b, const char *m, const struct result *r)
{
	if (is_http(r))
		prom_sample(b, m, r, NULL, NULL, isnan(r->status) ? 0 : r->status);
}

static void m_http_phases(struct sbuf *b, const char *m, const struct result *r)
{
	static const char *const phase[] = { "resolve", "connect", "tls", "processing", "transfer" };
	const double ms[] = { r->t_dns, r->t_connect, r->t_tls, r->t_ttfb, r->t_transfer };
	size_t i;

	if (!is_http(r) || !r->has_timing)
		return;
	for (i = 0; i < sizeof(ms) / sizeof(ms[0]); i++)
		prom_sample(b, m, r, "phase", phase[i], isnan(ms[i]) ? 0 : ms[i] / 1000.0);
}

/* "HTTP/1.1" is 1.1, "HTTP/2" is 2, as blackbox_exporter reports it. */
static void m_http_version(struct sbuf *b, const char *m, const struct result *r)
{
	char *end;
	double v;

	if (!is_http(r) || !r->http_version || strncmp(r->http_version, "HTTP/", 5))
		return;
	v = strtod(r->http_version + 5, &end);
	if (end != r->http_version + 5 && !*end)
		prom_sample(b, m, r, NULL, NULL, v);
}

/* Both lengths are the body bytes received: probe asks for no content encoding. */
static void m_bytes(struct sbuf *b, const char *m, const struct result *r)
{
	if (is_http(r) && !isnan(r->bytes))
		prom_sample(b, m, r, NULL, NULL, r->bytes);
}

static void m_redirects(struct sbuf *b, const char *m, const struct result *r)
{
	if (is_http(r) && r->has_http)
		prom_sample(b, m, r, NULL, NULL, isnan(r->redirects) ? 0 : r->redirects);
}

static void m_http_ssl(struct sbuf *b, const char *m, const struct result *r)
{
	if (is_http(r))
		prom_sample(b, m, r, NULL, NULL, r->has_tls);
}

static void m_regex(struct sbuf *b, const char *m, const struct result *r)
{
	if (is_http(r) && r->regex_checks > 0)
		prom_sample(b, m, r, NULL, NULL, r->regex_failed > 0);
}

static void m_cert_expiry(struct sbuf *b, const char *m, const struct result *r)
{
	if (!isnan(r->expiry_s))
		prom_sample(b, m, r, NULL, NULL, r->expiry_s);
}

/* blackbox_exporter names TLS versions as Go does: "TLS 1.3" for OpenSSL's "TLSv1.3". */
static void m_tls_version(struct sbuf *b, const char *m, const struct result *r)
{
	char go[32];

	if (!r->tls_version)
		return;
	if (!strncmp(r->tls_version, "TLSv", 4))
		snprintf(go, sizeof(go), "TLS %s", r->tls_version + 4);
	else
		snprintf(go, sizeof(go), "%s", r->tls_version);
	prom_sample(b, m, r, "version", go, 1);
}

struct family {
	const char *name, *help;
	void (*emit)(struct sbuf *b, const char *metric, const struct result *r);
};

/* blackbox_exporter's names and help texts, in a fixed order; every one a gauge. */
static const struct family families[] = {
	{ "probe_success", "Displays whether or not the probe was a success", m_success },
	{ "probe_duration_seconds", "Returns how long the probe took to complete in seconds",
	  m_duration },
	{ "probe_dns_lookup_time_seconds", "Returns the time taken for probe dns lookup in seconds",
	  m_dns_lookup },
	{ "probe_ip_protocol", "Specifies whether probe ip protocol is IP4 or IP6", m_ip_protocol },
	{ "probe_http_status_code", "Response HTTP status code", m_status },
	{ "probe_http_duration_seconds",
	  "Duration of http request by phase, summed over all redirects", m_http_phases },
	{ "probe_http_version", "Returns the version of HTTP of the probe response",
	  m_http_version },
	{ "probe_http_content_length", "Length of http content response", m_bytes },
	{ "probe_http_uncompressed_body_length", "Length of uncompressed response body", m_bytes },
	{ "probe_http_redirects", "The number of redirects", m_redirects },
	{ "probe_http_ssl", "Indicates if SSL was used for the final redirect", m_http_ssl },
	{ "probe_failed_due_to_regex", "Indicates if probe failed due to regex", m_regex },
	{ "probe_ssl_earliest_cert_expiry", "Returns earliest SSL cert expiry date",
	  m_cert_expiry },
	{ "probe_tls_version_info", "Contains TLS version information", m_tls_version },
};

/* The exposition of the kept results: each family's HELP and TYPE once, its samples after. */
static void prom_render(struct sbuf *b, const struct vec *kept)
{
	struct sbuf samples = { 0 };
	size_t f, i;

	for (f = 0; f < sizeof(families) / sizeof(families[0]); f++) {
		samples.len = 0;
		for (i = 0; i < kept->n; i++)
			families[f].emit(&samples, families[f].name, kept->v[i]);
		if (samples.oom)
			b->oom = 1;
		if (!samples.len)
			continue;
		sbuf_printf(b, "# HELP %s %s\n# TYPE %s gauge\n", families[f].name, families[f].help,
			  families[f].name);
		sbuf_add(b, samples.p, samples.len);
	}
	sbuf_release(&samples);
}

/* ---- nagios ----------------------------------------------------------------------------- */

static const char *const nagios_word[] = { "OK", "WARNING", "CRITICAL", "UNKNOWN" };

/* Nagios severity: CRITICAL > WARNING > UNKNOWN > OK (an UNKNOWN is never hidden by OKs). */
static int nagios_rank(enum pstate s)
{
	static const int rank[] = { [PS_OK] = 0, [PS_UNKNOWN] = 1, [PS_WARNING] = 2,
				    [PS_CRITICAL] = 3 };
	return rank[s];
}

static const char *reason_phrase(int status)
{
	static const struct { int code; const char *text; } phrases[] = {
		{ 200, "OK" }, { 201, "Created" }, { 202, "Accepted" }, { 204, "No Content" },
		{ 206, "Partial Content" }, { 301, "Moved Permanently" }, { 302, "Found" },
		{ 303, "See Other" }, { 304, "Not Modified" }, { 307, "Temporary Redirect" },
		{ 308, "Permanent Redirect" }, { 400, "Bad Request" }, { 401, "Unauthorized" },
		{ 403, "Forbidden" }, { 404, "Not Found" }, { 405, "Method Not Allowed" },
		{ 408, "Request Timeout" }, { 409, "Conflict" }, { 410, "Gone" },
		{ 429, "Too Many Requests" }, { 500, "Internal Server Error" },
		{ 501, "Not Implemented" }, { 502, "Bad Gateway" }, { 503, "Service Unavailable" },
		{ 504, "Gateway Timeout" },
	};
	size_t i;

	for (i = 0; i < sizeof(phrases) / sizeof(phrases[0]); i++)
		if (phrases[i].code == status)
			return phrases[i].text;
	return NULL;
}

/* Text for a status line: no '|' (it starts the perfdata), no line breaks. */
static void sb_put_nagios(struct sbuf *b, const char *s)
{
	for (; *s; s++)
		sbuf_putc(b, *s == '|' ? '/' : ((unsigned char)*s < 0x20 || *s == 0x7f) ? ' ' : *s);
}

/* What went right: "200 OK in 0.023s", "connected to 127.0.0.1 in 0.001s", ... */
static void nagios_describe(struct sbuf *b, const struct result *r)
{
	size_t start = b->len;

	if (is_http(r) && !isnan(r->status) && r->status > 0) {
		const char *phrase = reason_phrase((int)r->status);
		sbuf_printf(b, "%.0f%s%s", r->status, phrase ? " " : "", phrase ? phrase : "");
	} else if (!strcmp(r->type, "tls") && r->tls_version) {
		sb_put_nagios(b, r->tls_version);
	} else if (!strcmp(r->type, "dns") && r->dns_count >= 0) {
		sbuf_printf(b, "%ld address%s", r->dns_count, r->dns_count == 1 ? "" : "es");
	} else if (!strcmp(r->type, "exec") && !isnan(r->exec_exit)) {
		sbuf_printf(b, "exit %.0f", r->exec_exit);
	} else if (r->ip) {
		sbuf_puts(b, "connected to ");
		sb_put_nagios(b, r->ip);
	}
	if (!isnan(r->duration_ms))
		sbuf_printf(b, "%sin %.3fs", b->len > start ? " " : "", r->duration_ms / 1000.0);
	if (!isnan(r->days_left))
		sbuf_printf(b, "%scertificate expires in %.0f days", b->len > start ? ", " : "",
			  floor(r->days_left));
}

/* One target's text: the problem first, then what was seen. */
static void nagios_text(struct sbuf *b, const struct result *r)
{
	if (r->state == PS_CRITICAL || r->state == PS_UNKNOWN) {
		const char *msg = r->err_msg ? r->err_msg : r->warn_msg;
		sb_put_nagios(b, msg ? msg : "no verdict");
		if (r->attempts > 1)
			sbuf_printf(b, " (%ld attempts)", r->attempts);
		return;
	}
	if (r->state == PS_WARNING && r->warn_msg) {
		sb_put_nagios(b, r->warn_msg);
		sbuf_puts(b, "; ");
	}
	nagios_describe(b, r);
}

/* Seconds in perfdata: microseconds, trailing zeros dropped down to milliseconds. */
static void sb_put_seconds(struct sbuf *b, double ms)
{
	char num[64];
	size_t n;

	snprintf(num, sizeof(num), "%.6f", ms / 1000.0);
	n = strlen(num);
	while (n > 0 && num[n - 1] == '0' && n > strlen(num) - 3)
		n--;
	sbuf_add(b, num, n);
}

/* A perfdata label: '=' and '|' replaced, quoted when it has blanks or quotes. */
static void sb_put_perf_label(struct sbuf *b, const char *prefix, const char *what)
{
	struct sbuf raw = { 0 };
	const char *s;
	int quote;

	sbuf_puts(&raw, prefix);
	sbuf_puts(&raw, what);
	quote = strpbrk(sbuf_str(&raw), " '\t") != NULL;
	if (quote)
		sbuf_putc(b, '\'');
	for (s = sbuf_str(&raw); *s; s++) {
		if (*s == '\'')
			sbuf_puts(b, "''");
		else
			sbuf_putc(b, (*s == '=' || *s == '|') ? '_' : ((unsigned char)*s < 0x20) ? ' ' : *s);
	}
	if (quote)
		sbuf_putc(b, '\'');
	if (raw.oom)
		b->oom = 1;
	sbuf_release(&raw);
}

static void nagios_perfdata(struct sbuf *b, const struct probe_output *o,
			    const struct result *r, const char *prefix)
{
	if (!isnan(r->duration_ms)) {
		sbuf_putc(b, ' ');
		sb_put_perf_label(b, prefix, "time");
		sbuf_putc(b, '=');
		sb_put_seconds(b, r->duration_ms);
		sbuf_puts(b, "s;");
		if (o->warn_latency_ms >= 0)
			sb_put_seconds(b, o->warn_latency_ms);
		sbuf_putc(b, ';');
		if (o->max_latency_ms >= 0)
			sb_put_seconds(b, o->max_latency_ms);
		sbuf_puts(b, ";0");
	}
	if (is_http(r) && !isnan(r->bytes)) {
		sbuf_putc(b, ' ');
		sb_put_perf_label(b, prefix, "size");
		sbuf_printf(b, "=%.0fB;;;0", r->bytes);
	}
	if (!isnan(r->days_left)) {
		sbuf_putc(b, ' ');
		sb_put_perf_label(b, prefix, "cert_days");
		sbuf_printf(b, "=%.1f;;;", r->days_left);
	}
}

/* "HTTP" when every result is of one type, else "PROBE". */
static void nagios_service(struct sbuf *b, const struct vec *kept)
{
	const char *type = kept->n ? kept->v[0]->type : "";
	size_t i;

	for (i = 1; i < kept->n; i++)
		if (strcmp(kept->v[i]->type, type))
			type = "";
	if (!*type || strpbrk(type, " |\n"))
		type = "probe";
	for (; *type; type++)
		sbuf_putc(b, (*type >= 'a' && *type <= 'z') ? (char)(*type - 'a' + 'A') : *type);
}

static enum pstate nagios_worst(const struct vec *kept)
{
	enum pstate worst = kept->n ? PS_OK : PS_UNKNOWN;
	size_t i;

	for (i = 0; i < kept->n; i++)
		if (nagios_rank(kept->v[i]->state) > nagios_rank(worst))
			worst = kept->v[i]->state;
	return worst;
}

/* "2 of 3 critical: api: status 503...; db: connection refused" */
static void nagios_summary(struct sbuf *b, const struct vec *kept, enum pstate worst)
{
	size_t i, count = 0, listed = 0;
	const char *word = worst == PS_OK ? "ok" : worst == PS_WARNING ? "warning"
					  : worst == PS_CRITICAL ? "critical" : "unknown";

	for (i = 0; i < kept->n; i++)
		count += kept->v[i]->state == worst;
	sbuf_printf(b, "%zu of %zu %s", count, kept->n, word);
	if (worst == PS_OK)
		return;
	for (i = 0; i < kept->n && listed < NAGIOS_LISTED; i++) {
		if (kept->v[i]->state != worst)
			continue;
		sbuf_puts(b, listed++ ? "; " : ": ");
		sb_put_nagios(b, kept->v[i]->name);
		sbuf_puts(b, ": ");
		nagios_text(b, kept->v[i]);
	}
	if (count > listed)
		sbuf_printf(b, "; and %zu more", count - listed);
}

/* A unique perfdata prefix for result i: "NAME_", or "NAME#2_" for a repeated name. */
static void nagios_prefix(char *out, size_t size, const struct vec *kept, size_t i)
{
	size_t j, seen = 0;

	for (j = 0; j < i; j++)
		seen += !strcmp(kept->v[j]->name, kept->v[i]->name);
	if (seen)
		snprintf(out, size, "%s#%zu_", kept->v[i]->name, seen + 1);
	else
		snprintf(out, size, "%s_", kept->v[i]->name);
}

/*
 * The plugin output: "SERVICE STATE - TEXT | PERFDATA".  With several targets the
 * status line summarises the worst state, the perfdata labels carry each target's
 * name, and one line per target follows (Nagios' long output).
 */
static void nagios_render(struct sbuf *b, const struct probe_output *o, enum pstate worst)
{
	const struct vec *kept = &o->kept;
	struct sbuf perf = { 0 };
	char prefix[1024];
	size_t i;

	nagios_service(b, kept);
	sbuf_printf(b, " %s - ", nagios_word[worst]);
	if (kept->n == 0) {
		sbuf_puts(b, "no results\n");
		return;
	}
	if (kept->n == 1)
		nagios_text(b, kept->v[0]);
	else
		nagios_summary(b, kept, worst);
	for (i = 0; i < kept->n; i++) {
		if (kept->n > 1)
			nagios_prefix(prefix, sizeof(prefix), kept, i);
		nagios_perfdata(&perf, o, kept->v[i], kept->n > 1 ? prefix : "");
	}
	if (perf.len) {
		sbuf_puts(b, " |");
		sbuf_add(b, perf.p, perf.len);
	}
	b->oom |= perf.oom;
	sbuf_release(&perf);
	sbuf_putc(b, '\n');
	for (i = 0; kept->n > 1 && i < kept->n; i++) {
		sb_put_nagios(b, kept->v[i]->name);
		sbuf_printf(b, ": %s - ", nagios_word[kept->v[i]->state]);
		nagios_text(b, kept->v[i]);
		sbuf_putc(b, '\n');
	}
}

/* ---- junit ------------------------------------------------------------------------------- */

/*
 * XML 1.0 character data or an attribute value: markup characters as entities, line
 * breaks and tabs as character references in attributes (so they survive attribute
 * normalisation), and the characters XML 1.0 cannot hold at all (other C0 controls,
 * U+FFFE, U+FFFF) as '?'.
 */
static void sb_put_xml(struct sbuf *b, const char *s, int attribute)
{
	const unsigned char *u = (const unsigned char *)s;

	for (; *u; u++) {
		if (*u == '&')
			sbuf_puts(b, "&amp;");
		else if (*u == '<')
			sbuf_puts(b, "&lt;");
		else if (*u == '>')
			sbuf_puts(b, "&gt;");
		else if (*u == '"')
			sbuf_puts(b, "&quot;");
		else if (*u == '\r' || (attribute && (*u == '\n' || *u == '\t')))
			sbuf_printf(b, "&#%d;", *u);
		else if (*u < 0x20 && *u != '\n' && *u != '\t')
			sbuf_putc(b, '?');
		else if (u[0] == 0xef && u[1] == 0xbf && (u[2] == 0xbe || u[2] == 0xbf)) {
			sbuf_putc(b, '?');
			u += 2;
		} else
			sbuf_putc(b, (char)*u);
	}
}

struct junit_totals {
	size_t failures, errors;
	double seconds;         /* wall-clock span of the results, or the sum of durations */
	int64_t first_ms;       /* earliest start; valid when has_first */
	int has_first;
};

/*
 * A testcase's time: every attempt's duration, the failed ones before the last
 * (attempt_errors[].duration_ms) and the last (duration_ms); the backoff waits between
 * attempts are not counted.
 */
static double junit_case_ms(const struct result *r)
{
	return (isnan(r->duration_ms) ? 0 : r->duration_ms) + r->earlier_ms;
}

static void junit_totals(const struct vec *kept, struct junit_totals *t)
{
	double sum = 0, last = 0;
	size_t i;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < kept->n; i++) {
		const struct result *r = kept->v[i];
		double d = junit_case_ms(r);
		double end = (double)r->start_ms + d;

		t->errors += r->failed && r->state == PS_UNKNOWN;
		t->failures += r->failed && r->state != PS_UNKNOWN;
		sum += d;
		if (!r->has_start)
			continue;
		if (!t->has_first || r->start_ms < t->first_ms)
			t->first_ms = r->start_ms;
		if (!t->has_first || end > last)
			last = end;
		t->has_first = 1;
	}
	t->seconds = (t->has_first ? last - (double)t->first_ms : sum) / 1000.0;
}

static void junit_details(struct sbuf *b, const struct result *r)
{
	sbuf_puts(b, "target: ");
	sb_put_xml(b, r->target, 0);
	sbuf_putc(b, '\n');
	if (r->attempts > 1)
		sbuf_printf(b, "attempts: %ld\n", r->attempts);
	if (r->attempt_log) {
		sb_put_xml(b, r->attempt_log, 0);
		sbuf_putc(b, '\n');
	}
	if (r->warn_msg) {
		sbuf_puts(b, "warning: ");
		sb_put_xml(b, r->warn_msg, 0);
		sbuf_putc(b, '\n');
	}
}

static void junit_case(struct sbuf *b, const struct result *r)
{
	sbuf_puts(b, "    <testcase name=\"");
	sb_put_xml(b, r->name, 1);
	sbuf_puts(b, "\" classname=\"probe.");
	sb_put_xml(b, *r->type ? r->type : "unknown", 1);
	sbuf_printf(b, "\" time=\"%.3f\">\n", junit_case_ms(r) / 1000.0);
	if (r->failed) {
		const char *msg = r->err_msg ? r->err_msg : r->warn_msg ? r->warn_msg : "failed";
		const char *element = r->state == PS_UNKNOWN ? "error" : "failure";

		sbuf_printf(b, "      <%s message=\"", element);
		sb_put_xml(b, msg, 1);
		sbuf_puts(b, "\" type=\"");
		sb_put_xml(b, r->err_code ? r->err_code : r->warning ? "warning" : "failed", 1);
		sbuf_puts(b, "\">");
		junit_details(b, r);
		sbuf_printf(b, "</%s>\n", element);
	} else {
		sbuf_puts(b, "      <system-out>");
		junit_details(b, r);
		sbuf_puts(b, "</system-out>\n");
	}
	sbuf_puts(b, "    </testcase>\n");
}

/* One <testsuite> named probe, inside <testsuites>, one <testcase> per target. */
static void junit_render(struct sbuf *b, const struct vec *kept)
{
	struct junit_totals t;
	char when[TM_RFC3339_SIZE];
	char counts[160];
	size_t i;

	junit_totals(kept, &t);
	snprintf(counts, sizeof(counts), "tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" time=\"%.3f\"",
		 kept->n, t.failures, t.errors, t.seconds);
	sbuf_puts(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	sbuf_printf(b, "<testsuites name=\"probe\" %s>\n", counts);
	sbuf_printf(b, "  <testsuite name=\"probe\" %s skipped=\"0\"", counts);
	if (t.has_first && tm_format_rfc3339(t.first_ms, when, NULL) == 0)
		sbuf_printf(b, " timestamp=\"%.19s\"", when);   /* JUnit's: no fraction, no zone */
	sbuf_puts(b, ">\n");
	for (i = 0; i < kept->n; i++)
		junit_case(b, kept->v[i]);
	sbuf_puts(b, "  </testsuite>\n</testsuites>\n");
}

/* ---- the textfile and the Pushgateway ------------------------------------------------------ */

/* Replace the textfile atomically: a new file is 0644, whatever the umask, so that
   node_exporter (another user) can read it; an existing file keeps its mode. */
static int write_textfile(const struct probe_output *o, const struct sbuf *b, struct srerr *e)
{
	struct stat st;
	int mode = (lstat(o->textfile, &st) == 0 && S_ISREG(st.st_mode)) ? FSX_MODE_KEEP : 0644;

	struct srerr fe;

	if (fsx_write_file(o->textfile, sbuf_str(b), b->len, mode, &fe) < 0) {
		srerr_set(e, "io", "%s", fe.msg);
		return -1;
	}
	return 0;
}

/* The start of a response body for a message: one line, printable, at most EXCERPT_MAX. */
static void body_excerpt(char *out, size_t size, const char *body, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len && n + 1 < size && n < EXCERPT_MAX; i++) {
		unsigned char c = (unsigned char)body[i];
		if (c == '\n' && n > 0)
			break;
		out[n++] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
	}
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
}

/*
 * PUT the exposition to the Pushgateway group: PUT replaces every metric of the group,
 * so that a target removed from the checks disappears from it too.
 */
static int push(const struct probe_output *o, const struct sbuf *b, struct srerr *e)
{
	static const char *const headers[] = { "Content-Type: text/plain; version=0.0.4; charset=utf-8" };
	struct http_request req = {
		.url = o->push_url, .method = "PUT", .headers = headers, .nheaders = 1,
		.body = sbuf_str(b), .body_len = b->len, .timeout_ms = PUSH_TIMEOUT_MS,
	};
	struct srerr fe;
	struct http_result *r;
	char excerpt[EXCERPT_MAX + 1];
	int rc = 0;

	if (http_global_init(&fe) < 0 || !(r = http_fetch(&req, &fe))) {
		srerr_set(e, "push", "cannot push to '%s': %s", o->push_shown, fe.msg);
		return -1;
	}
	if (r->failed) {
		srerr_set(e, "push", "cannot push to '%s': %s", o->push_shown, r->err.msg);
		rc = -1;
	} else if (r->status < 200 || r->status > 299) {
		body_excerpt(excerpt, sizeof(excerpt), r->body ? r->body : "", r->body_len);
		srerr_set(e, "push", "push to '%s' refused: status %ld%s%s", o->push_shown, r->status,
			  *excerpt ? ": " : "", excerpt);
		rc = -1;
	}
	http_result_free(r);
	return rc;
}

/* Print, write and push the exposition of the kept results; every sink is tried. */
static int prom_emit(struct probe_output *o, struct srerr *e)
{
	struct sbuf b = { 0 };
	struct srerr first;
	int rc = 0;

	srerr_clear(&first);
	prom_render(&b, &o->kept);
	if (b.oom) {
		sbuf_release(&b);
		return oom_error(e);
	}
	if (o->format == CLI_FMT_PROMETHEUS) {
		out_write(sbuf_str(&b), b.len);
		out_flush_if_streaming(o);
	}
	if (o->textfile && write_textfile(o, &b, &first) < 0)
		rc = -1;
	if (o->push_url && push(o, &b, rc ? NULL : &first) < 0)
		rc = -1;
	if (rc && e)
		*e = first;
	sbuf_release(&b);
	o->emitted = 1;
	o->pending = 0;
	return rc;
}

static int uses_prometheus(const struct probe_output *o)
{
	return o->format == CLI_FMT_PROMETHEUS || o->textfile || o->push_url;
}

/* ---- options ------------------------------------------------------------------------------ */

static int check_format(const struct probe_output_opts *in, struct srerr *e)
{
	switch (in->format) {
	case CLI_FMT_NDJSON:
	case CLI_FMT_JSON:
	case CLI_FMT_TEXT:
	case CLI_FMT_PROMETHEUS:
		return 0;
	case CLI_FMT_NAGIOS:
	case CLI_FMT_JUNIT:
		if (in->streaming) {
			srerr_set(e, "usage", "-o %s prints one report: it cannot be used with --every",
				  cli_format_name(in->format));
			return -1;
		}
		return 0;
	default:
		srerr_set(e, "usage", "output format '%s' is not supported by probe",
			  cli_format_name(in->format) ? cli_format_name(in->format) : "?");
		return -1;
	}
}

/* The URL shown in messages: a "user:password@" in it becomes "***@". */
static char *redact_url(const char *url)
{
	const char *auth = strstr(url, "://"), *end, *at, *p;
	struct sbuf b = { 0 };
	int oom = 0;

	if (!auth)
		return strdup(url);
	auth += 3;
	end = auth + strcspn(auth, "/?#");
	for (at = NULL, p = auth; p < end; p++)
		if (*p == '@')
			at = p;   /* the last one: a password may hold an '@' */
	if (!at)
		return strdup(url);
	sbuf_add(&b, url, (size_t)(auth - url));
	sbuf_puts(&b, "***");
	sbuf_puts(&b, at);
	return sb_take(&b, &oom);
}

/* The push URL with the grouping path: as given when its path names a job. */
static int set_push_url(struct probe_output *o, const char *url, struct srerr *e)
{
	struct sbuf b = { 0 };
	int oom = 0;
	size_t n = strlen(url);
	const char *path;

	if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8)) {
		srerr_set(e, "usage", "invalid --push URL '%s': expected http:// or https://", url);
		return -1;
	}
	path = strchr(strstr(url, "://") + 3, '/');
	if (path && strstr(path, "/metrics/job/")) {
		sbuf_puts(&b, url);
	} else {
		while (n > 0 && url[n - 1] == '/')
			n--;
		sbuf_add(&b, url, n);
		sbuf_puts(&b, PUSH_DEFAULT_GROUP);
	}
	o->push_url = sb_take(&b, &oom);
	o->push_shown = redact_url(o->push_url ? o->push_url : "");
	if (!o->push_url || !o->push_shown)
		return oom_error(e);
	return 0;
}

/* ---- the API -------------------------------------------------------------------------------- */

struct probe_output *probe_output_new(const struct probe_output_opts *in, struct srerr *e)
{
	struct probe_output *o;
	const char *nc = getenv("NO_COLOR");

	if (check_format(in, e) < 0)
		return NULL;
	if (in->textfile && !*in->textfile) {
		srerr_set(e, "usage", "--textfile needs a file name");
		return NULL;
	}
	if (!(o = calloc(1, sizeof(*o)))) {
		oom_error(e);
		return NULL;
	}
	o->format = in->format;
	o->color = in->color && !(nc && *nc);
	o->streaming = in->streaming;
	o->strict = in->strict;
	o->warn_latency_ms = in->warn_latency_ms;
	o->max_latency_ms = in->max_latency_ms;
	ndj_writer_init(&o->w, stdout, in->format == CLI_FMT_JSON ? NDJ_PRETTY : 0);
	if ((in->textfile && !(o->textfile = strdup(in->textfile))) ||
	    (in->push_url && set_push_url(o, in->push_url, e) < 0)) {
		if (in->textfile && !o->textfile)
			oom_error(e);
		probe_output_free(o);
		return NULL;
	}
	if (o->textfile)
		fsx_clean_stale(o->textfile, NULL);   /* temps of a killed earlier run */
	return o;
}

/* ndjson, json: the record itself, at once (consumed). */
static int record_json(struct probe_output *o, jv record, struct srerr *e)
{
	if (ndj_write(&o->w, record, e) < 0) {
		if (o->w.err)
			cli_stdout_failed(o->w.err);
		return -1;
	}
	out_flush_if_streaming(o);
	return 0;
}

/* Text: the decoded record printed now (streaming) or with its round.  Takes r. */
static int record_text(struct probe_output *o, struct result *r, struct srerr *e)
{
	int rc;

	if (o->streaming) {
		rc = text_print(o, &r, 1, e);
		result_free(r);
		out_flush_if_streaming(o);
		return rc;
	}
	if (vec_push(&o->rows, r) < 0) {
		result_free(r);
		return oom_error(e);
	}
	return 0;
}

/* The aggregate formats and the Prometheus sinks: r kept for later.  Takes r. */
static int record_keep(struct probe_output *o, struct result *r, struct srerr *e)
{
	if (vec_keep(&o->kept, r) < 0) {
		result_free(r);
		return oom_error(e);
	}
	o->pending++;
	return 0;
}

static int keeps_results(const struct probe_output *o)
{
	return o->format == CLI_FMT_NAGIOS || o->format == CLI_FMT_JUNIT || uses_prometheus(o);
}

int probe_output_record(struct probe_output *o, jv record, struct srerr *e)
{
	struct result *r, *copy = NULL;
	int text = o->format == CLI_FMT_TEXT, keep = keeps_results(o);

	if (jv_get_kind(record) != JV_KIND_OBJECT) {
		jv_free(record);
		srerr_set(e, "invalid", "a probe.result record must be a JSON object");
		return -1;
	}
	r = result_decode(record, o->strict);
	if (r && text && keep && !(copy = result_decode(record, o->strict))) {
		result_free(r);
		r = NULL;
	}
	if (!r) {
		jv_free(record);
		return oom_error(e);
	}
	o->any_failed |= r->failed;
	if (keep && record_keep(o, copy ? copy : r, e) < 0) {
		if (copy)
			result_free(r);
		jv_free(record);
		return -1;
	}
	if (text) {
		jv_free(record);
		return record_text(o, r, e);
	}
	if (!keep)
		result_free(r);
	if (o->format != CLI_FMT_NDJSON && o->format != CLI_FMT_JSON) {
		jv_free(record);
		return 0;
	}
	return record_json(o, record, e);
}

int probe_output_round_end(struct probe_output *o, struct srerr *e)
{
	int rc = 0;

	if (o->format == CLI_FMT_TEXT && o->rows.n)
		rc = text_flush_round(o, e);
	if (o->streaming && uses_prometheus(o)) {
		if (prom_emit(o, rc ? NULL : e) < 0)
			rc = -1;
		vec_clear(&o->kept);
	}
	out_flush_if_streaming(o);
	return rc;
}

int probe_output_finish(struct probe_output *o, int *exit_code, struct srerr *e)
{
	enum pstate worst = nagios_worst(&o->kept);
	struct sbuf b = { 0 };
	int rc = 0;

	*exit_code = o->any_failed ? CLI_PROBLEM : CLI_OK;
	if (o->format == CLI_FMT_TEXT && o->rows.n)
		rc = text_flush_round(o, e);
	if (uses_prometheus(o) && (o->pending || !o->emitted) && prom_emit(o, rc ? NULL : e) < 0)
		rc = -1;
	if (o->format == CLI_FMT_NAGIOS) {
		nagios_render(&b, o, worst);
		*exit_code = (int)worst;
	} else if (o->format == CLI_FMT_JUNIT) {
		junit_render(&b, &o->kept);
	}
	if (b.oom)
		rc = oom_error(rc ? NULL : e);
	else
		out_write(sbuf_str(&b), b.len);
	sbuf_release(&b);
	cli_flush_stdout();
	return rc;
}

void probe_output_free(struct probe_output *o)
{
	if (!o)
		return;
	vec_release(&o->rows);
	vec_release(&o->kept);
	free(o->textfile);
	free(o->push_url);
	free(o->push_shown);
	free(o);
}
