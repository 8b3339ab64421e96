/*
 * -f FILE: NDJSON target specs.  Each record is one target; its fields mirror the
 * command-line options, which are the defaults for every spec:
 *
 *   name            string   the record's "name"
 *   url             string   http(s)://, tcp://, tls:// or dns:// target  } exactly
 *   exec            string   a command for /bin/sh -c                     } one
 *   method          string   -X
 *   headers         object {"Name": "value"} or array of "Name: value" / "@env:VAR"
 *   body            string, or any other JSON value sent as compact JSON (-d)
 *   timeout, connect_timeout, retry_delay   "5s" or a number of seconds
 *   retries         integer
 *   follow, insecure                       booleans
 *   cacert, cert, key, proxy               strings
 *   resolve         "HOST:PORT:ADDR" or an array of them
 *   ip_version      4 or 6
 *   max_body        bytes (number) or "512k"
 *   expect          {status, body, json, header, latency, cert_days}
 *   warn            {latency, cert_days}
 *
 * expect.status is "200,204", "2xx", 200 or an array of those; expect.header is
 * "Name: REGEX", an array of them or an object {"Name": "REGEX"}; latency a duration;
 * cert_days a number.  An unknown field is an error, so that a typo never silently
 * drops a check.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ndjson.h"
#include "optval.h"
#include "retry.h"
#include "target.h"
#include "banned.h"

#define SPEC_LIST_MAX 256   /* header lines, checks or pins in one field */

struct spec {
	struct target_ctx *ctx;
	struct probe_target *t;
	int located;
};

typedef int (*spec_apply)(struct spec *s, const char *field, jv v, struct srerr *e);

struct spec_field {
	const char *name;
	spec_apply apply;
};

static int expect_kind(const char *field, jv v, jv_kind kind, const char *what, struct srerr *e)
{
	if (jv_get_kind(v) == kind)
		return 0;
	srerr_set(e, "usage", "field '%s' must be %s, not %s", field, what,
		  jv_kind_name(jv_get_kind(v)));
	return -1;
}

static const char *string_field(struct spec *s, const char *field, jv v, struct srerr *e)
{
	if (expect_kind(field, v, JV_KIND_STRING, "a string", e) == -1)
		return NULL;
	return pool_strdup(s->ctx->pool, jv_string_value(v));
}

/* A string or an array of strings into a pool array; returns the count or -1. */
static long string_list(struct spec *s, const char *field, jv v, const char ***out,
			struct srerr *e)
{
	int n = jv_get_kind(v) == JV_KIND_ARRAY ? jv_array_length(jv_copy(v)) : 1;
	const char **items;

	if (jv_get_kind(v) != JV_KIND_ARRAY && jv_get_kind(v) != JV_KIND_STRING)
		return expect_kind(field, v, JV_KIND_ARRAY, "a string or an array of strings", e);
	if (n > SPEC_LIST_MAX) {
		srerr_set(e, "usage", "field '%s' has more than %d items", field, SPEC_LIST_MAX);
		return -1;
	}
	items = pool_alloc(s->ctx->pool, ((size_t)n + 1) * sizeof(*items));
	for (int i = 0; i < n; i++) {
		jv item = jv_get_kind(v) == JV_KIND_ARRAY ? jv_array_get(jv_copy(v), i) : jv_copy(v);

		items[i] = string_field(s, field, item, e);
		jv_free(item);
		if (!items[i])
			return -1;
	}
	*out = items;
	return n;
}

/* {"Name": "value"} into "Name<sep>value" lines; returns the count or -1. */
static long object_lines(struct spec *s, const char *field, jv v, const char *sep,
			 const char ***out, struct srerr *e)
{
	int n = jv_object_length(jv_copy(v)), i = 0;
	const char **items = pool_alloc(s->ctx->pool, ((size_t)n + 1) * sizeof(*items));

	if (n > SPEC_LIST_MAX) {
		srerr_set(e, "usage", "field '%s' has more than %d items", field, SPEC_LIST_MAX);
		return -1;
	}
	jv_object_foreach(v, key, value) {
		int ok = jv_get_kind(value) == JV_KIND_STRING;
		if (ok) {
			size_t len = strlen(jv_string_value(key)) + strlen(sep) +
				     strlen(jv_string_value(value)) + 1;
			char *line = pool_alloc(s->ctx->pool, len);
			snprintf(line, len, "%s%s%s", jv_string_value(key), sep, jv_string_value(value));
			items[i++] = line;
		}
		jv_free(key);
		jv_free(value);
		if (!ok) {
			srerr_set(e, "usage", "field '%s' must map names to strings", field);
			return -1;
		}
	}
	*out = items;
	return n;
}

static long lines_field(struct spec *s, const char *field, jv v, const char *sep,
			const char ***out, struct srerr *e)
{
	if (jv_get_kind(v) == JV_KIND_OBJECT)
		return object_lines(s, field, v, sep, out, e);
	return string_list(s, field, v, out, e);
}

static int apply_name(struct spec *s, const char *field, jv v, struct srerr *e)
{
	if (!(s->t->name = string_field(s, field, v, e)))
		return -1;
	s->t->name_set = 1;
	return 0;
}

static int apply_location(struct spec *s, const char *field, jv v, struct srerr *e)
{
	const char *text = string_field(s, field, v, e);

	if (!text)
		return -1;
	if (s->located++) {
		srerr_set(e, "usage", "a spec has one of 'url' and 'exec', not both");
		return -1;
	}
	if (strcmp(field, "exec") == 0)
		return target_set_exec(s->ctx, s->t, text, e);
	return target_set_location(s->ctx, s->t, text, e);
}

static int apply_method(struct spec *s, const char *field, jv v, struct srerr *e)
{
	return (s->t->req.method = string_field(s, field, v, e)) ? 0 : -1;
}

static int apply_headers(struct spec *s, const char *field, jv v, struct srerr *e)
{
	const char **lines;
	long n = lines_field(s, field, v, ": ", &lines, e);

	return n < 0 ? -1 : target_add_headers(s->ctx, s->t, lines, (size_t)n, e);
}

static int apply_body(struct spec *s, const char *field, jv v, struct srerr *e)
{
	jv text = jv_get_kind(v) == JV_KIND_STRING ? jv_copy(v) : jv_dump_string(jv_copy(v), 0);
	int rc = target_set_body(s->ctx, s->t, jv_string_value(text),
				 (size_t)jv_string_length_bytes(jv_copy(text)), e);

	(void)field;
	jv_free(text);
	return rc;
}

static int apply_duration(struct spec *s, const char *field, jv v, struct srerr *e)
{
	int64_t ms;

	if (optval_duration_jv(field, v, &ms, e) == -1)
		return -1;
	if (strcmp(field, "timeout") == 0)
		s->t->req.timeout_ms = ms;
	else if (strcmp(field, "connect_timeout") == 0)
		s->t->req.connect_timeout_ms = ms;
	else
		s->t->retry_delay_ms = ms;
	return 0;
}

static int integer_field(const char *field, jv v, long min, long max, long *out,
			 struct srerr *e)
{
	double d = jv_get_kind(v) == JV_KIND_NUMBER ? jv_number_value(v) : -1e300;

	if (d < (double)min || d > (double)max || d != (double)(long)d) {
		srerr_set(e, "usage", "field '%s' must be a whole number from %ld to %ld",
			  field, min, max);
		return -1;
	}
	*out = (long)d;
	return 0;
}

static int apply_retries(struct spec *s, const char *field, jv v, struct srerr *e)
{
	long n;

	if (integer_field(field, v, 0, RETRY_MAX, &n, e) == -1)
		return -1;
	s->t->retries = (int)n;
	return 0;
}

static int apply_ip_version(struct spec *s, const char *field, jv v, struct srerr *e)
{
	long n;

	if (integer_field(field, v, 4, 6, &n, e) == -1 || n == 5) {
		srerr_set(e, "usage", "field '%s' must be 4 or 6", field);
		return -1;
	}
	s->t->req.ip_version = (int)n;
	return 0;
}

static int apply_bool(struct spec *s, const char *field, jv v, struct srerr *e)
{
	int on = jv_get_kind(v) == JV_KIND_TRUE;

	if (!on && jv_get_kind(v) != JV_KIND_FALSE)
		return expect_kind(field, v, JV_KIND_TRUE, "true or false", e);
	if (strcmp(field, "follow") == 0)
		s->t->req.follow = on;
	else
		s->t->req.insecure = on;
	return 0;
}

static int apply_file(struct spec *s, const char *field, jv v, struct srerr *e)
{
	const char *text = string_field(s, field, v, e);

	if (!text)
		return -1;
	if (strcmp(field, "cacert") == 0)
		s->t->req.cacert = text;
	else if (strcmp(field, "cert") == 0)
		s->t->req.cert = text;
	else if (strcmp(field, "key") == 0)
		s->t->req.key = text;
	else {
		s->t->req.proxy = text;
		secret_note_url(s->ctx->secrets, text);
	}
	return 0;
}

static int apply_resolve(struct spec *s, const char *field, jv v, struct srerr *e)
{
	const char **pins;
	long n = string_list(s, field, v, &pins, e);

	if (n < 0)
		return -1;
	s->t->req.resolve = pins;
	s->t->req.nresolve = (size_t)n;
	return 0;
}

static int apply_max_body(struct spec *s, const char *field, jv v, struct srerr *e)
{
	long n;

	if (jv_get_kind(v) == JV_KIND_STRING)
		return optval_size(field, jv_string_value(v), &s->t->req.max_body, e);
	if (integer_field(field, v, 1, 1L << 30, &n, e) == -1)
		return -1;
	s->t->req.max_body = (size_t)n;
	return 0;
}

static int status_text(jv item, char *buf, size_t size)
{
	if (jv_get_kind(item) == JV_KIND_STRING)
		return snprintf(buf, size, "%s", jv_string_value(item)) >= (int)size ? -1 : 0;
	if (jv_get_kind(item) == JV_KIND_NUMBER)
		return snprintf(buf, size, "%.0f", jv_number_value(item)) >= (int)size ? -1 : 0;
	return -1;
}

static int apply_status(struct spec *s, const char *field, jv v, struct srerr *e)
{
	char text[sizeof(s->t->checks.status.text)] = "", item[64];
	int n = jv_get_kind(v) == JV_KIND_ARRAY ? jv_array_length(jv_copy(v)) : 1;

	for (int i = 0; i < n; i++) {
		jv x = jv_get_kind(v) == JV_KIND_ARRAY ? jv_array_get(jv_copy(v), i) : jv_copy(v);
		int bad = status_text(x, item, sizeof(item)) == -1 ||
			  strlen(text) + strlen(item) + 2 > sizeof(text);

		jv_free(x);
		if (bad) {
			srerr_set(e, "usage", "field '%s' must be a status list like \"200,204\", "
				  "\"2xx\", 200 or an array of them", field);
			return -1;
		}
		snprintf(text + strlen(text), sizeof(text) - strlen(text), "%s%s", i ? "," : "", item);
	}
	return check_status_parse(text, &s->t->checks.status, e);
}

static int apply_expect_text(struct spec *s, const char *field, jv v, struct srerr *e)
{
	const char *text = string_field(s, field, v, e);

	if (!text)
		return -1;
	if (strcmp(field, "expect.body") == 0)
		return target_expect_body(s->ctx, s->t, text, e);
	return target_expect_json(s->ctx, s->t, text, e);
}

static int apply_expect_header(struct spec *s, const char *field, jv v, struct srerr *e)
{
	const char **items;
	long n = lines_field(s, field, v, ": ", &items, e);

	return n < 0 ? -1 : target_expect_headers(s->ctx, s->t, items, (size_t)n, e);
}

static int apply_latency(struct spec *s, const char *field, jv v, struct srerr *e,
			 int64_t *out)
{
	return optval_duration_jv(field, v, out, e);
}

static int apply_expect_latency(struct spec *s, const char *field, jv v, struct srerr *e)
{
	return apply_latency(s, field, v, e, &s->t->checks.max_latency_ms);
}

static int apply_warn_latency(struct spec *s, const char *field, jv v, struct srerr *e)
{
	return apply_latency(s, field, v, e, &s->t->checks.warn_latency_ms);
}

static int days_field(const char *field, jv v, double *out, struct srerr *e)
{
	double d = jv_get_kind(v) == JV_KIND_NUMBER ? jv_number_value(v) : -1;

	if (!(d >= 0 && d <= 1e6)) {
		srerr_set(e, "usage", "field '%s' must be a number of days", field);
		return -1;
	}
	*out = d;
	return 0;
}

static int apply_expect_days(struct spec *s, const char *field, jv v, struct srerr *e)
{
	return days_field(field, v, &s->t->checks.cert_min_days, e);
}

static int apply_warn_days(struct spec *s, const char *field, jv v, struct srerr *e)
{
	return days_field(field, v, &s->t->checks.warn_cert_days, e);
}

static const struct spec_field expect_fields[] = {
	{ "status", apply_status }, { "body", apply_expect_text },
	{ "json", apply_expect_text }, { "header", apply_expect_header },
	{ "latency", apply_expect_latency }, { "cert_days", apply_expect_days },
	{ NULL, NULL },
};

static const struct spec_field warn_fields[] = {
	{ "latency", apply_warn_latency }, { "cert_days", apply_warn_days },
	{ NULL, NULL },
};

static int apply_object(struct spec *s, const struct spec_field *fields, const char *prefix,
			jv obj, struct srerr *e);

static int apply_expect(struct spec *s, const char *field, jv v, struct srerr *e)
{
	if (expect_kind(field, v, JV_KIND_OBJECT, "an object", e) == -1)
		return -1;
	return apply_object(s, strcmp(field, "expect") == 0 ? expect_fields : warn_fields,
			    field, v, e);
}

static const struct spec_field top_fields[] = {
	{ "name", apply_name }, { "url", apply_location }, { "exec", apply_location },
	{ "method", apply_method }, { "headers", apply_headers }, { "body", apply_body },
	{ "timeout", apply_duration }, { "connect_timeout", apply_duration },
	{ "retry_delay", apply_duration }, { "retries", apply_retries },
	{ "follow", apply_bool }, { "insecure", apply_bool }, { "cacert", apply_file },
	{ "cert", apply_file }, { "key", apply_file }, { "proxy", apply_file },
	{ "resolve", apply_resolve }, { "ip_version", apply_ip_version },
	{ "max_body", apply_max_body }, { "expect", apply_expect }, { "warn", apply_expect },
	{ NULL, NULL },
};

static int apply_field(struct spec *s, const struct spec_field *fields, const char *prefix,
		       const char *key, jv value, struct srerr *e)
{
	char field[128];

	snprintf(field, sizeof(field), "%s%s%s", prefix ? prefix : "", prefix ? "." : "", key);
	for (size_t i = 0; fields[i].name; i++)
		if (strcmp(fields[i].name, key) == 0)
			return fields[i].apply(s, field, value, e);
	srerr_set(e, "usage", "unknown field '%s'", field);
	return -1;
}

static int apply_object(struct spec *s, const struct spec_field *fields, const char *prefix,
			jv obj, struct srerr *e)
{
	int rc = 0;

	jv_object_foreach(obj, key, value) {
		if (rc == 0)
			rc = apply_field(s, fields, prefix, jv_string_value(key), value, e);
		jv_free(key);
		jv_free(value);
	}
	return rc;
}

/* One spec record into a target; -1 and e (without the file:line) if it is bad. */
static int spec_target(struct target_ctx *ctx, const struct probe_target *tmpl, jv rec,
		       struct probe_target *t, struct srerr *e)
{
	struct spec s = { ctx, t, 0 };

	*t = *tmpl;
	if (apply_object(&s, top_fields, NULL, rec, e) == -1)
		return -1;
	if (!s.located) {
		srerr_set(e, "usage", "a spec needs 'url' or 'exec'");
		return -1;
	}
	return target_finish(ctx, t, e);
}

int target_load_specs(struct target_ctx *ctx, struct target_list *l,
		      const struct probe_target *tmpl, const char *path, struct srerr *e)
{
	struct ndj_reader *r = ndj_reader_new(&path, 1, NULL, e);
	struct probe_target t;
	jv rec;
	int rc;

	if (!r)
		return -1;
	while ((rc = ndj_next(r, &rec, e)) == 1) {
		rc = spec_target(ctx, tmpl, rec, &t, e);
		jv_free(rec);
		if (rc == -1) {
			srerr_prefix(e, "%s:%zu", ndj_file(r), ndj_line(r));
			break;
		}
		target_list_push(l, &t);
	}
	ndj_reader_free(r);
	return rc < 0 ? -1 : 0;
}
