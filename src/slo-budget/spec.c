/*
 * The SLOs of a run: the command-line options of one SLO, --spec files, and the
 * checks that turn them into engine definitions.  See spec.h.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jqx.h"
#include "ndjson.h"
#include "spec.h"
#include "tm.h"
#include "banned.h"

#define MIN_EVENTS_MAX INT64_C(1000000000000000)   /* 1e15: exact as a double */
#define PATH_MAX_LEN 256                            /* a projected field path */

/* The string members, for copying and freeing them alike. */
static const size_t string_members[] = {
	offsetof(struct spec_slo, name), offsetof(struct spec_slo, objective),
	offsetof(struct spec_slo, calendar), offsetof(struct spec_slo, tz),
	offsetof(struct spec_slo, method), offsetof(struct spec_slo, slice_objective),
	offsetof(struct spec_slo, good), offsetof(struct spec_slo, latency_field),
	offsetof(struct spec_slo, group_by), offsetof(struct spec_slo, good_query),
	offsetof(struct spec_slo, total_query), offsetof(struct spec_slo, bad_query),
};
#define NSTRINGS (sizeof(string_members) / sizeof(string_members[0]))

static char **member(struct spec_slo *s, size_t i)
{
	return (char **)(void *)((char *)s + string_members[i]);
}

void spec_slo_init(struct spec_slo *s)
{
	memset(s, 0, sizeof(*s));
	s->min_events = -1;
}

void spec_slo_release(struct spec_slo *s)
{
	for (size_t i = 0; i < NSTRINGS; i++)
		free(*member(s, i));
	spec_slo_init(s);
}

static int oom(struct srerr *e)
{
	srerr_set(e, "oom", "out of memory");
	return -1;
}

int spec_slo_copy(struct spec_slo *to, const struct spec_slo *from, struct srerr *e)
{
	*to = *from;
	for (size_t i = 0; i < NSTRINGS; i++) {
		const char *src = *member((struct spec_slo *)(uintptr_t)from, i);

		*member(to, i) = NULL;
		if (src && !(*member(to, i) = strdup(src))) {
			spec_slo_release(to);
			return oom(e);
		}
	}
	return 0;
}

/* Replace the string *slot by a copy of arg. */
static int set_string(char **slot, const char *arg, struct srerr *e)
{
	char *copy = strdup(arg);

	if (!copy)
		return oom(e);
	free(*slot);
	*slot = copy;
	return 0;
}

int spec_simple_path(const char *expr, char *path_out, size_t size)
{
	const char *p = expr;

	if (*p != '.')
		return 0;
	while (*p == '.') {
		p++;
		if (!(*p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
			return 0;
		while (*p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		       (*p >= '0' && *p <= '9'))
			p++;
	}
	if (*p || strlen(expr) >= PATH_MAX_LEN)
		return 0;
	if (path_out)
		snprintf(path_out, size, "%s", expr + 1);
	return 1;
}

/* ---- one option each --------------------------------------------------------------- */

static int bad_value(struct srerr *e, const char *what, const char *arg, const char *expected)
{
	char shown[80];

	srerr_shorten(arg, shown, sizeof(shown));
	srerr_set(e, "usage", "invalid %s '%s': expected %s", what, shown, expected);
	return -1;
}

static int set_name(struct spec_slo *s, const char *what, const char *arg, struct srerr *e)
{
	if (!*arg)
		return bad_value(e, what, arg, "a name");
	for (const char *p = arg; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return bad_value(e, what, arg, "a name without control characters");
	return set_string(&s->name, arg, e);
}

static int set_decimal(char **slot, const char *what, const char *arg, struct srerr *e)
{
	struct slo_decimal d;
	struct srerr why;

	if (slo_decimal_parse(arg, &d, &why) == -1)
		return bad_value(e, what, arg, strcmp(why.code, "range") == 0
			? "a percentage above 0 and below 100"
			: "a percentage like 99.9 (at most 9 decimals)");
	return set_string(slot, arg, e);
}

/* A duration above 0 into *ms. */
static int set_duration(int64_t *ms, const char *what, const char *arg, const char *like,
			struct srerr *e)
{
	int64_t v;

	if (tm_parse_duration(arg, &v, NULL) == -1)
		return bad_value(e, what, arg, like);
	if (v <= 0)
		return bad_value(e, what, arg, "a duration above 0");
	*ms = v;
	return 0;
}

static int set_calendar(struct spec_slo *s, const char *what, const char *arg, struct srerr *e)
{
	if (strcmp(arg, "week") && strcmp(arg, "month") && strcmp(arg, "quarter"))
		return bad_value(e, what, arg, "week, month or quarter");
	return set_string(&s->calendar, arg, e);
}

static int set_tz(struct spec_slo *s, const char *what, const char *arg, struct srerr *e)
{
	struct tm_zone *z = tm_zone_load(arg, NULL);

	if (!z)
		return bad_value(e, what, arg, "a time zone like Europe/Berlin");
	tm_zone_free(z);
	return set_string(&s->tz, arg, e);
}

static int set_method(struct spec_slo *s, const char *what, const char *arg, struct srerr *e)
{
	enum slo_method m;

	if (slo_method_parse(arg, &m, NULL) == -1)
		return bad_value(e, what, arg, "occurrences or timeslices");
	return set_string(&s->method, arg, e);
}

static int set_min_events(struct spec_slo *s, const char *what, const char *arg,
			  struct srerr *e)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(arg, &end, 10);
	if (*arg < '0' || *arg > '9' || *end || errno || v > MIN_EVENTS_MAX)
		return bad_value(e, what, arg, "a whole number from 0 to 1000000000000000");
	s->min_events = v;
	return 0;
}

/* A jq expression: a plain path, or one that compiles. */
static int set_expr(char **slot, const char *what, const char *arg, struct srerr *e)
{
	struct jqx *q;

	if (!spec_simple_path(arg, NULL, 0)) {
		if (!(q = jqx_compile(arg, e))) {
			srerr_prefix(e, "%s", what);
			return -1;
		}
		jqx_free(q);
	}
	return set_string(slot, arg, e);
}

static int set_path(char **slot, const char *what, const char *arg, struct srerr *e)
{
	char dotted[PATH_MAX_LEN + 2];

	snprintf(dotted, sizeof(dotted), "%s%s", *arg == '.' ? "" : ".", arg);
	if (!spec_simple_path(dotted, NULL, 0))
		return bad_value(e, what, arg, "a field path like .duration_ms");
	return set_string(slot, dotted, e);
}

static int set_query(char **slot, const char *what, const char *arg, struct srerr *e)
{
	if (!*arg)
		return bad_value(e, what, arg, "a PromQL query");
	return set_string(slot, arg, e);
}

/* Field names compare with '-' and '_' alike: "slice-objective" is "slice_objective". */
static int same_field(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (*a != *b && !((*a == '-' || *a == '_') && (*b == '-' || *b == '_')))
			return 0;
	return *a == *b;
}

int spec_slo_set(struct spec_slo *s, const char *field, const char *what, const char *arg,
		 struct srerr *e)
{
	if (same_field(field, "name"))
		return set_name(s, what, arg, e);
	if (same_field(field, "objective"))
		return set_decimal(&s->objective, what, arg, e);
	if (same_field(field, "window"))
		return set_duration(&s->window_ms, what, arg, "a duration like 30d", e);
	if (same_field(field, "calendar"))
		return set_calendar(s, what, arg, e);
	if (same_field(field, "tz"))
		return set_tz(s, what, arg, e);
	if (same_field(field, "method"))
		return set_method(s, what, arg, e);
	if (same_field(field, "timeslice"))
		return set_duration(&s->timeslice_ms, what, arg, "a duration like 1m", e);
	if (same_field(field, "slice_objective"))
		return set_decimal(&s->slice_objective, what, arg, e);
	if (same_field(field, "min_events"))
		return set_min_events(s, what, arg, e);
	if (same_field(field, "good"))
		return set_expr(&s->good, what, arg, e);
	if (same_field(field, "latency_field"))
		return set_path(&s->latency_field, what, arg, e);
	if (same_field(field, "threshold"))
		return set_duration(&s->threshold_ms, what, arg, "a duration like 300ms", e);
	if (same_field(field, "group_by"))
		return set_expr(&s->group_by, what, arg, e);
	if (same_field(field, "good_query"))
		return set_query(&s->good_query, what, arg, e);
	if (same_field(field, "total_query"))
		return set_query(&s->total_query, what, arg, e);
	if (same_field(field, "bad_query"))
		return set_query(&s->bad_query, what, arg, e);
	return 1;
}

/* ---- checking an SLO ------------------------------------------------------------------ */

static int usage(struct srerr *e, const char *msg)
{
	srerr_set(e, "usage", "%s", msg);
	return -1;
}

/* The options that must or must not come together. */
static int check_combinations(const struct spec_slo *s, struct srerr *e)
{
	int timeslices = s->method && strcmp(s->method, "timeslices") == 0;

	if (!s->objective)
		return usage(e, "no objective: give --objective PERCENT, like --objective 99.9");
	if (s->window_ms && s->calendar)
		return usage(e, "--window and --calendar do not go together");
	if (s->tz && !s->calendar)
		return usage(e, "--tz needs --calendar");
	if (s->method && !timeslices && (s->timeslice_ms || s->slice_objective))
		return usage(e, s->timeslice_ms ? "--timeslice needs --method timeslices"
						: "--slice-objective needs --method timeslices");
	if ((timeslices || s->timeslice_ms) && !s->slice_objective)
		return usage(e, "--method timeslices needs --slice-objective PERCENT");
	if (s->latency_field && !s->threshold_ms)
		return usage(e, "--latency-field needs --threshold DURATION");
	if (s->threshold_ms && !s->latency_field)
		return usage(e, "--threshold needs --latency-field PATH");
	if (s->good_query && s->bad_query)
		return usage(e, "--good-query and --bad-query do not go together");
	return 0;
}

static int fill_window(const struct spec_slo *s, struct slo_def *d, struct srerr *e)
{
	if (s->window_ms)
		d->window_ms = s->window_ms;
	if (!s->calendar)
		return 0;
	d->calendar = 1;
	if (tm_period_parse(s->calendar, &d->period, e) == -1)
		return -1;
	if (!(d->zone = tm_zone_load(s->tz ? s->tz : "UTC", e))) {
		srerr_prefix(e, "invalid --tz");
		return -1;
	}
	return 0;
}

static int fill_def(const struct spec_slo *s, struct slo_def *d, struct srerr *e)
{
	if (!(d->name = strdup(s->name ? s->name : SPEC_DEFAULT_NAME)))
		return oom(e);
	if (slo_decimal_parse(s->objective, &d->objective, e) == -1 ||
	    fill_window(s, d, e) == -1)
		return -1;
	if (s->slice_objective) {
		d->method = SLO_TIMESLICES;
		if (slo_decimal_parse(s->slice_objective, &d->slice_objective, e) == -1)
			return -1;
		if (s->timeslice_ms)
			d->timeslice_ms = s->timeslice_ms;
	}
	if (s->min_events >= 0)
		d->min_events = (uint64_t)s->min_events;
	if (slo_def_check(d, e) == -1) {
		snprintf(e->code, sizeof(e->code), "usage");
		return -1;
	}
	return 0;
}

static int copy_opt(char **to, const char *from, struct srerr *e)
{
	*to = NULL;
	if (from && !(*to = strdup(from)))
		return oom(e);
	return 0;
}

int spec_finish(const struct spec_slo *s, struct spec_ready *r, struct srerr *e)
{
	memset(r, 0, sizeof(*r));
	slo_def_init(&r->def);
	r->threshold_ms = s->threshold_ms;
	if (check_combinations(s, e) == -1 || fill_def(s, &r->def, e) == -1 ||
	    copy_opt(&r->good, s->good, e) == -1 ||
	    copy_opt(&r->latency_field, s->latency_field, e) == -1 ||
	    copy_opt(&r->group_by, s->group_by, e) == -1 ||
	    copy_opt(&r->good_query, s->good_query, e) == -1 ||
	    copy_opt(&r->total_query, s->total_query, e) == -1 ||
	    copy_opt(&r->bad_query, s->bad_query, e) == -1) {
		spec_ready_release(r);
		return -1;
	}
	return 0;
}

void spec_ready_release(struct spec_ready *r)
{
	slo_def_release(&r->def);
	free(r->good);
	free(r->latency_field);
	free(r->group_by);
	free(r->good_query);
	free(r->total_query);
	free(r->bad_query);
	memset(r, 0, sizeof(*r));
	slo_def_init(&r->def);
}

/* ---- --spec files ------------------------------------------------------------------- */

/* The text of a field's value: a string as it is, a number (objective, slice_objective,
   min_events) as jq prints it, which is the shortest text that reads back the same. */
static char *value_text(const char *field, jv v, struct srerr *e)
{
	char *text;
	int numeric = same_field(field, "objective") || same_field(field, "slice_objective") ||
		      same_field(field, "min_events");

	if (jv_get_kind(v) == JV_KIND_STRING) {
		if (!(text = strdup(jv_string_value(v))))
			oom(e);
		return text;
	}
	if (numeric && jv_get_kind(v) == JV_KIND_NUMBER) {
		jv s = jv_dump_string(jv_copy(v), 0);

		if (!(text = strdup(jv_string_value(s))))
			oom(e);
		jv_free(s);
		return text;
	}
	srerr_set(e, "usage", "field '%s' must be %s, not %s", field,
		  numeric ? "a number or a string" : "a string", jv_kind_name(jv_get_kind(v)));
	return NULL;
}

static int apply_field(struct spec_slo *s, const char *field, jv v, struct srerr *e)
{
	char *text = value_text(field, v, e);
	int rc;

	if (!text)
		return -1;
	rc = spec_slo_set(s, field, field, text, e);
	free(text);
	if (rc == 1 || strchr(field, '-')) {
		srerr_set(e, "usage", "unknown field '%s'", field);
		return -1;
	}
	return rc;
}

/* One record into *s (a copy of tmpl); -1 and e without the file:line. */
static int spec_record(const struct spec_slo *tmpl, jv rec, struct spec_slo *s, struct srerr *e)
{
	int rc = 0;

	if (spec_slo_copy(s, tmpl, e) == -1)
		return -1;
	jv_object_foreach(rec, key, value) {
		if (rc == 0)
			rc = apply_field(s, jv_string_value(key), value, e);
		jv_free(key);
		jv_free(value);
	}
	if (rc == -1)
		spec_slo_release(s);
	return rc;
}

static const char *shown_name(const struct spec_slo *s)
{
	return s->name ? s->name : SPEC_DEFAULT_NAME;
}

/* The name of s must differ from those of the n before it. */
static int unique_name(const struct spec_slo *all, size_t n, const struct spec_slo *s,
		       struct srerr *e)
{
	char shown[80];

	for (size_t i = 0; i < n; i++)
		if (strcmp(shown_name(&all[i]), shown_name(s)) == 0) {
			srerr_shorten(shown_name(s), shown, sizeof(shown));
			srerr_set(e, "usage", "duplicate SLO name '%s': give each SLO its own "
				  "\"name\"", shown);
			return -1;
		}
	return 0;
}

static void free_slos(struct spec_slo *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		spec_slo_release(&v[i]);
	free(v);
}

/* Add the next record of r to *v; 1 added, 0 at the end, -1 on error. */
static int load_one(struct ndj_reader *r, const struct spec_slo *tmpl, struct spec_slo **v,
		    size_t *n, struct srerr *e)
{
	jv rec;
	int rc = ndj_next(r, &rec, e);
	struct spec_slo *grown;

	if (rc <= 0)
		return rc;
	if (*n == SPEC_MAX_SLOS) {
		jv_free(rec);
		srerr_set(e, "limit", "%s:%zu: more than %d SLOs", ndj_file(r), ndj_line(r),
			  SPEC_MAX_SLOS);
		return -1;
	}
	if (!(grown = realloc(*v, (*n + 1) * sizeof(**v)))) {
		jv_free(rec);
		return oom(e);
	}
	*v = grown;
	rc = spec_record(tmpl, rec, &grown[*n], e);
	jv_free(rec);
	if (rc == 0 && unique_name(grown, *n, &grown[*n], e) == -1) {
		spec_slo_release(&grown[*n]);
		rc = -1;
	}
	if (rc == -1)
		return -1;
	(*n)++;
	return 1;
}

struct spec_slo *spec_load(const char *path, const struct spec_slo *tmpl, size_t *n,
			   struct srerr *e)
{
	struct ndj_reader *r = ndj_reader_new(&path, 1, NULL, e);
	struct spec_slo *v = NULL;
	int rc;

	*n = 0;
	if (!r)
		return NULL;
	while ((rc = load_one(r, tmpl, &v, n, e)) == 1)
		;
	if (rc == -1 && strcmp(e->code, "io") != 0 && strcmp(e->code, "parse") != 0 &&
	    strcmp(e->code, "limit") != 0)
		srerr_prefix(e, "%s:%zu", ndj_file(r), ndj_line(r));
	else if (rc == 0 && *n == 0) {
		srerr_set(e, "usage", "%s: no SLOs in the spec file", ndj_file(r));
		rc = -1;
	}
	ndj_reader_free(r);
	if (rc == -1) {
		free_slos(v, *n);
		*n = 0;
		return NULL;
	}
	return v;
}
