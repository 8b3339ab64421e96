/*
 * slo-budget's input: records to per-SLO outcomes, by projection when plain paths
 * suffice, through jq otherwise; and the group map.  See input.h.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input.h"
#include "jqx.h"
#include "slo.h"
#include "spec.h"
#include "tm.h"
#include "banned.h"

#define SHOWN_MAX 64        /* bytes of a value quoted in a message */

/* Where one value of an SLO comes from. */
enum src_kind { SRC_NONE, SRC_FIELD, SRC_JQ };

struct source {
	enum src_kind kind;
	size_t field;             /* SRC_FIELD: index into in->fields */
	struct jqx *q;            /* SRC_JQ */
	const char *text;         /* the option's text, for messages: ".ok" */
};

struct slo_reader {
	struct source good, latency, group;
	int64_t threshold_ms;
	jv group_out;             /* SRC_JQ group: its output, alive until the next record */
	char *group_buf;          /* a group key made of a number or JSON text */
};

struct time_cache {
	char prefix[17];          /* "YYYY-MM-DDTHH:MM:" of the last full parse */
	int64_t base;             /* its instant */
	int valid;
};

struct input {
	struct ndj_reader *r;
	struct input_conf conf;
	int full;                 /* some SLO runs jq: records are built as jv */
	struct ndj_field *fields; /* the projected values of the record */
	char **paths;             /* their paths (owned) */
	size_t nfields;
	size_t time_f, good_f, total_f, bad_f;   /* indexes; bad/good only with counts */
	struct slo_reader *slos;
	struct input_outcome *out;
	jv rec;                   /* full mode: the record being read */
	size_t own_skipped;       /* records this module rejected (--lenient) */
	size_t reader_warned;     /* reader warnings already passed on */
	struct time_cache tc;
};

static int oom(struct srerr *e)
{
	srerr_set(e, "oom", "out of memory");
	return -1;
}

/* The index of path among the fields, added if new; (size_t)-1 when memory runs out. */
static size_t field_index(struct input *in, const char *path)
{
	struct ndj_field *f;
	char **p, *copy;

	for (size_t i = 0; i < in->nfields; i++)
		if (strcmp(in->paths[i], path) == 0)
			return i;
	f = realloc(in->fields, (in->nfields + 1) * sizeof(*f));
	if (f)
		in->fields = f;
	p = f ? realloc(in->paths, (in->nfields + 1) * sizeof(*p)) : NULL;
	if (p)
		in->paths = p;
	if (!f || !p || !(copy = strdup(path)))
		return (size_t)-1;
	in->paths[in->nfields] = copy;
	return in->nfields++;
}

/* A source for expr: a field for a plain path (or a bare path when bare), else jq. */
static int source_for(struct input *in, struct source *s, const char *expr, int bare,
		      struct srerr *e)
{
	char path[300];

	s->text = expr;
	if (bare || spec_simple_path(expr, path, sizeof(path))) {
		s->kind = SRC_FIELD;
		if ((s->field = field_index(in, bare ? expr : path)) == (size_t)-1)
			return oom(e);
		return 0;
	}
	s->kind = SRC_JQ;
	in->full = 1;
	return (s->q = jqx_compile(expr, e)) ? 0 : -1;
}

static int setup_slo(struct input *in, struct slo_reader *sr, const struct input_slo *c,
		     struct srerr *e)
{
	sr->group_out = jv_invalid();
	sr->threshold_ms = c->threshold_ms;
	if (!in->conf.counts && (c->good || !c->latency_field) &&
	    source_for(in, &sr->good, c->good ? c->good : ".ok", 0, e) == -1)
		return -1;
	if (!in->conf.counts && c->latency_field &&
	    source_for(in, &sr->latency, c->latency_field, 0, e) == -1)
		return -1;
	if (c->group_by && source_for(in, &sr->group, c->group_by, 0, e) == -1)
		return -1;
	return 0;
}

static int setup(struct input *in, struct srerr *e)
{
	in->time_f = field_index(in, in->conf.time_path);
	if (in->conf.counts) {
		in->good_f = field_index(in, "good");
		in->total_f = field_index(in, "total");
		in->bad_f = field_index(in, "bad");
	}
	if (in->time_f == (size_t)-1 || in->bad_f == (size_t)-1)
		return oom(e);
	for (size_t i = 0; i < in->conf.nslos; i++)
		if (setup_slo(in, &in->slos[i], &in->conf.slos[i], e) == -1)
			return -1;
	if (in->nfields > NDJ_MAX_FIELDS)
		in->full = 1;
	for (size_t i = 0; i < in->nfields; i++)
		in->fields[i].path = in->paths[i];
	return 0;
}

struct input *input_new(struct ndj_reader *r, const struct input_conf *conf, struct srerr *e)
{
	struct input *in = calloc(1, sizeof(*in));

	if (!in) {
		ndj_reader_free(r);
		oom(e);
		return NULL;
	}
	in->r = r;
	in->conf = *conf;
	in->rec = jv_invalid();
	in->slos = calloc(conf->nslos ? conf->nslos : 1, sizeof(*in->slos));
	in->out = calloc(conf->nslos ? conf->nslos : 1, sizeof(*in->out));
	for (size_t i = 0; in->slos && i < conf->nslos; i++)
		in->slos[i].group_out = jv_invalid();
	if (!in->slos || !in->out) {
		oom(e);
		input_free(in);
		return NULL;
	}
	if (setup(in, e) == -1) {
		input_free(in);
		return NULL;
	}
	return in;
}

void input_free(struct input *in)
{
	if (!in)
		return;
	ndj_reader_free(in->r);
	for (size_t i = 0; in->slos && i < in->conf.nslos; i++) {
		jqx_free(in->slos[i].good.q);
		jqx_free(in->slos[i].latency.q);
		jqx_free(in->slos[i].group.q);
		jv_free(in->slos[i].group_out);
		free(in->slos[i].group_buf);
	}
	for (size_t i = 0; i < in->nfields; i++)
		free(in->paths[i]);
	free(in->paths);
	free(in->fields);
	free(in->slos);
	free(in->out);
	jv_free(in->rec);
	free(in);
}

size_t input_skipped(const struct input *in)
{
	return ndj_skipped(in->r) + in->own_skipped;
}

int input_projected(const struct input *in)
{
	return !in->full;
}

/* ---- values ----------------------------------------------------------------------- */

/*
 * A value as a message shows it, in git's style: a string in single quotes ('yes', so
 * that it differs from the boolean yes would be), 12, true, null, an object.  Control
 * characters of the data become '?': a message stays one line and sends no escape
 * sequence to a terminal.
 */
static void describe(const struct ndj_field *f, char *out, size_t size)
{
	char shown[SHOWN_MAX], num[SLO_NUMBER_SIZE];

	switch (f->type) {
	case NDJ_STRING:
		srerr_shorten(f->str, shown, sizeof(shown));
		for (char *p = shown; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = '?';
		snprintf(out, size, "'%s'", shown);
		break;
	case NDJ_NUMBER: snprintf(out, size, "%s", slo_number_format(f->number, num)); break;
	case NDJ_BOOL: snprintf(out, size, "%s", f->boolean ? "true" : "false"); break;
	case NDJ_NULL: snprintf(out, size, "null"); break;
	case NDJ_OBJECT: snprintf(out, size, "an object"); break;
	case NDJ_ARRAY: snprintf(out, size, "an array"); break;
	default: snprintf(out, size, "missing"); break;
	}
}

/* A jv (borrowed) as a projected field: strings point into v. */
static void field_of_jv(jv v, struct ndj_field *f)
{
	switch (jv_get_kind(v)) {
	case JV_KIND_NULL: f->type = NDJ_NULL; break;
	case JV_KIND_TRUE: f->type = NDJ_BOOL; f->boolean = 1; break;
	case JV_KIND_FALSE: f->type = NDJ_BOOL; f->boolean = 0; break;
	case JV_KIND_NUMBER: f->type = NDJ_NUMBER; f->number = jv_number_value(v); break;
	case JV_KIND_STRING:
		f->type = NDJ_STRING;
		f->str = jv_string_value(v);
		f->len = (size_t)jv_string_length_bytes(jv_copy(v));
		break;
	case JV_KIND_OBJECT: f->type = NDJ_OBJECT; break;
	case JV_KIND_ARRAY: f->type = NDJ_ARRAY; break;
	default: f->type = NDJ_ABSENT; break;
	}
}

/* Fill f from the record rec (borrowed) by its dotted path, as ndj_next_fields would. */
static void field_from_record(jv rec, struct ndj_field *f)
{
	const char *p = f->path;
	jv cur = jv_copy(rec);

	f->type = NDJ_ABSENT;
	while (jv_get_kind(cur) == JV_KIND_OBJECT) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);
		jv next = jv_object_get(cur, jv_string_sized(p, (int)len));

		if (!dot) {
			if (jv_is_valid(next))
				field_of_jv(next, f);   /* strings stay alive in rec */
			jv_free(next);
			return;
		}
		cur = next;
		p = dot + 1;
	}
	jv_free(cur);
}

__attribute__((format(printf, 3, 4)))
static int record_error(struct input *in, struct srerr *e, const char *fmt, ...)
{
	char msg[SRERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	srerr_set(e, "invalid", "%s:%zu: %s", ndj_file(in->r), ndj_line(in->r), msg);
	return -1;
}

/*
 * Consecutive records mostly share their date, hour and minute, so the instant of the
 * last "YYYY-MM-DDTHH:MM:" prefix that tm_parse_rfc3339 accepted is kept: a time of
 * the form PREFIX + "SS.mmmZ" or PREFIX + "SSZ" with the same prefix and a second from
 * 00 to 59 is that instant plus its seconds, exactly what the full parse gives.
 * Anything else (offsets, other fractions, leap seconds) takes the full parse.
 */
#define TC_PREFIX 17

static int two_digits(const char *p, int *v)
{
	if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9')
		return 0;
	*v = (p[0] - '0') * 10 + (p[1] - '0');
	return 1;
}

/* The milliseconds after the prefix of a 20- or 24-byte UTC time; -1 for other shapes. */
static int64_t time_suffix_ms(const char *s, size_t len)
{
	int sec, hi, lo;

	if ((len != 20 && len != 24) || !two_digits(s + TC_PREFIX, &sec) || sec > 59 ||
	    s[len - 1] != 'Z')
		return -1;
	if (len == 20)
		return sec * 1000;
	if (s[19] != '.' || !two_digits(s + 20, &hi) || s[22] < '0' || s[22] > '9')
		return -1;
	lo = s[22] - '0';
	return sec * 1000 + hi * 10 + lo;
}

static int time_cached(const struct time_cache *tc, const char *s, size_t len, int64_t *ms)
{
	int64_t suffix;

	if (!tc->valid || len < TC_PREFIX || memcmp(s, tc->prefix, TC_PREFIX) != 0 ||
	    (suffix = time_suffix_ms(s, len)) < 0)
		return 0;
	*ms = tc->base + suffix;
	return 1;
}

static void time_cache_fill(struct time_cache *tc, const char *s, size_t len, int64_t ms)
{
	int64_t suffix = len >= TC_PREFIX ? time_suffix_ms(s, len) : -1;

	tc->valid = suffix >= 0;
	if (!tc->valid)
		return;
	memcpy(tc->prefix, s, TC_PREFIX);
	tc->base = ms - suffix;
}

/* The time field into *ms. */
static int read_time(struct input *in, int64_t *ms, struct srerr *e)
{
	const struct ndj_field *f = &in->fields[in->time_f];
	char shown[SHOWN_MAX + 8];

	if (f->type == NDJ_STRING && time_cached(&in->tc, f->str, f->len, ms))
		return 0;
	if (f->type == NDJ_STRING && tm_parse_rfc3339_mem(f->str, f->len, ms, NULL) == 0) {
		time_cache_fill(&in->tc, f->str, f->len, *ms);
		return 0;
	}
	if (f->type == NDJ_NUMBER && tm_from_epoch_seconds(f->number, ms, NULL) == 0)
		return 0;
	if (f->type == NDJ_ABSENT)
		return record_error(in, e, "missing .%s%s", f->path,
				    strcmp(f->path, "time") ? "" : " (see --time-field)");
	describe(f, shown, sizeof(shown));
	if (f->type == NDJ_OBJECT || f->type == NDJ_ARRAY)
		return record_error(in, e, ".%s is %s: expected an RFC 3339 time or epoch seconds",
				    f->path, shown);
	return record_error(in, e, "invalid .%s %s: expected an RFC 3339 time or epoch seconds",
			    f->path, shown);
}

/* ---- one SLO's outcome ----------------------------------------------------------- */

/* The value of a jq source on the record, as a field; *out keeps it alive. */
static int run_jq(struct input *in, const struct source *s, jv *out, struct ndj_field *f,
		  struct srerr *e)
{
	int rc = jqx_first(s->q, jv_copy(in->rec), out, e);

	if (rc == -1) {
		srerr_prefix(e, "%s:%zu", ndj_file(in->r), ndj_line(in->r));
		return -1;
	}
	memset(f, 0, sizeof(*f));
	f->path = s->text;
	if (rc == 1)
		field_of_jv(*out, f);
	return 0;
}

static int read_good(struct input *in, const struct source *s, int *good, struct srerr *e)
{
	struct ndj_field f;
	jv out = jv_invalid();
	char shown[SHOWN_MAX + 8];
	int rc = 0;

	if (s->kind == SRC_FIELD)
		f = in->fields[s->field];
	else if (run_jq(in, s, &out, &f, e) == -1)
		return -1;
	if (f.type == NDJ_BOOL) {
		*good = f.boolean;
	} else if (s->kind == SRC_JQ) {
		describe(&f, shown, sizeof(shown));
		if (f.type == NDJ_ABSENT)
			rc = record_error(in, e, "--good '%s' gave no output", s->text);
		else
			rc = record_error(in, e, "--good '%s' gave %s, expected true or false",
					  s->text, shown);
	} else if (f.type == NDJ_ABSENT) {
		rc = record_error(in, e, "missing %s%s", s->text,
				  strcmp(s->text, ".ok") ? "" : " (see --good)");
	} else {
		describe(&f, shown, sizeof(shown));
		rc = record_error(in, e, "%s is %s, expected true or false", s->text, shown);
	}
	jv_free(out);
	return rc;
}

/* Good when the latency is at most the threshold. */
static int read_latency(struct input *in, const struct slo_reader *sr, int *good,
			struct srerr *e)
{
	const struct source *s = &sr->latency;
	struct ndj_field f = in->fields[s->field];
	char shown[SHOWN_MAX + 8];
	int64_t ms;

	if (f.type == NDJ_NUMBER && f.number >= 0 && isfinite(f.number)) {
		*good = f.number <= (double)sr->threshold_ms;
		return 0;
	}
	if (f.type == NDJ_STRING && tm_parse_duration_mem(f.str, f.len, &ms, NULL) == 0) {
		*good = ms <= sr->threshold_ms;
		return 0;
	}
	if (f.type == NDJ_ABSENT)
		return record_error(in, e, "missing %s (see --latency-field)", s->text);
	describe(&f, shown, sizeof(shown));
	return record_error(in, e, "%s is %s: expected milliseconds or a duration like 250ms",
			    s->text, shown);
}

/* A count field: a number >= 0, or absent (*v = NAN). */
static int read_count(struct input *in, size_t idx, double *v, struct srerr *e)
{
	const struct ndj_field *f = &in->fields[idx];
	char shown[SHOWN_MAX + 8];

	*v = NAN;
	if (f->type == NDJ_ABSENT)
		return 0;
	if (f->type == NDJ_NUMBER && f->number >= 0 && isfinite(f->number)) {
		*v = f->number;
		return 0;
	}
	describe(f, shown, sizeof(shown));
	return record_error(in, e, ".%s is %s: expected a number of events, at least 0",
			    f->path, shown);
}

static int read_counts(struct input *in, struct input_outcome *o, struct srerr *e)
{
	double good, total, bad;
	char a[SLO_NUMBER_SIZE], b[SLO_NUMBER_SIZE];

	if (read_count(in, in->good_f, &good, e) == -1 ||
	    read_count(in, in->total_f, &total, e) == -1 || read_count(in, in->bad_f, &bad, e) == -1)
		return -1;
	if (isnan(total))
		return record_error(in, e, "missing .total");
	if (isnan(good) && isnan(bad))
		return record_error(in, e, "missing .good (or .bad)");
	if (!isnan(good) && !isnan(bad))
		return record_error(in, e, "both .good and .bad: give one");
	if (isnan(good) && bad > total)
		return record_error(in, e, "bad %s is more than total %s",
				    slo_number_format(bad, a), slo_number_format(total, b));
	if (!isnan(good) && good > total)
		return record_error(in, e, "good %s is more than total %s",
				    slo_number_format(good, a), slo_number_format(total, b));
	o->good = isnan(good) ? total - bad : good;
	o->total = total;
	return 0;
}

/* A group key from a number, a boolean or (from jq) any JSON value. */
static int group_text(struct slo_reader *sr, const struct ndj_field *f, jv v,
		      struct input_outcome *o, struct srerr *e)
{
	char num[SLO_NUMBER_SIZE];
	const char *text = NULL;
	jv dumped = jv_invalid();

	if (f->type == NDJ_NUMBER)
		text = slo_number_format(f->number, num);
	else if (f->type == NDJ_BOOL)
		text = f->boolean ? "true" : "false";
	else if (jv_is_valid(v))
		text = jv_string_value(dumped = jv_dump_string(jv_copy(v), 0));
	free(sr->group_buf);
	sr->group_buf = text ? strdup(text) : NULL;
	jv_free(dumped);
	if (!sr->group_buf)
		return oom(e);
	o->group = sr->group_buf;
	o->group_len = strlen(sr->group_buf);
	return 0;
}

static int read_group(struct input *in, struct slo_reader *sr, struct input_outcome *o,
		      struct srerr *e)
{
	const struct source *s = &sr->group;
	struct ndj_field f;
	char shown[SHOWN_MAX + 8];

	jv_free(sr->group_out);
	sr->group_out = jv_invalid();
	if (s->kind == SRC_FIELD)
		f = in->fields[s->field];
	else if (run_jq(in, s, &sr->group_out, &f, e) == -1)
		return -1;
	if (s->kind == SRC_JQ && (f.type == NDJ_ABSENT || f.type == NDJ_NULL))
		return record_error(in, e, "--group-by '%s' gave %s", s->text,
				    f.type == NDJ_NULL ? "null" : "no output");
	if (f.type == NDJ_ABSENT || f.type == NDJ_NULL)
		return record_error(in, e, "%s %s (see --group-by)", s->text,
				    f.type == NDJ_NULL ? "is null" : "is missing");
	if (f.type == NDJ_STRING) {
		if (memchr(f.str, '\0', f.len))
			return record_error(in, e, "%s has a NUL character", s->text);
		o->group = f.str;
		o->group_len = f.len;
		return 0;
	}
	if (s->kind == SRC_FIELD && (f.type == NDJ_OBJECT || f.type == NDJ_ARRAY)) {
		describe(&f, shown, sizeof(shown));
		return record_error(in, e, "%s is %s: a group is a string, number or boolean",
				    s->text, shown);
	}
	return group_text(sr, &f, sr->group_out, o, e);
}

static int read_slo(struct input *in, size_t i, struct srerr *e)
{
	struct slo_reader *sr = &in->slos[i];
	struct input_outcome *o = &in->out[i];
	int good = 1, fast = 1;

	o->group = NULL;
	o->group_len = 0;
	if (in->conf.counts) {
		if (read_counts(in, o, e) == -1)
			return -1;
	} else {
		if (sr->good.kind != SRC_NONE && read_good(in, &sr->good, &good, e) == -1)
			return -1;
		if (sr->latency.kind != SRC_NONE && read_latency(in, sr, &fast, e) == -1)
			return -1;
		o->good = good && fast;
		o->total = 1;
	}
	if (sr->group.kind != SRC_NONE && read_group(in, sr, o, e) == -1)
		return -1;
	return 0;
}

/* ---- records ------------------------------------------------------------------------ */

/* The reader's own lenient skips since the last call, passed to the warn callback. */
static void pass_reader_warnings(struct input *in)
{
	const struct srerr *w;

	while ((w = ndj_warning(in->r, in->reader_warned)) != NULL) {
		if (in->conf.warn)
			in->conf.warn(in->conf.warn_ctx, w);
		in->reader_warned++;
	}
}

/* Read the next record's fields: 1, 0 at the end, -1. */
static int next_record(struct input *in, struct srerr *e)
{
	int rc;

	if (!in->full)
		return ndj_next_fields(in->r, in->fields, in->nfields, e);
	jv_free(in->rec);
	in->rec = jv_invalid();
	if ((rc = ndj_next(in->r, &in->rec, e)) != 1)
		return rc;
	for (size_t i = 0; i < in->nfields; i++)
		field_from_record(in->rec, &in->fields[i]);
	return 1;
}

/* The outcomes of the record just read: 0, or -1 and e. */
static int read_outcomes(struct input *in, struct input_event *ev, struct srerr *e)
{
	if (read_time(in, &ev->time_ms, e) == -1)
		return -1;
	for (size_t i = 0; i < in->conf.nslos; i++)
		if (read_slo(in, i, e) == -1)
			return -1;
	ev->slo = in->out;
	return 0;
}

int input_next(struct input *in, struct input_event *ev, struct srerr *e)
{
	int rc;

	for (;;) {
		rc = next_record(in, e);
		if (in->conf.lenient)
			pass_reader_warnings(in);
		if (rc != 1)
			return rc;
		if (read_outcomes(in, ev, e) == 0)
			return 1;
		if (!in->conf.lenient || strcmp(e->code, "oom") == 0)
			return -1;
		in->own_skipped++;
		if (in->conf.warn)
			in->conf.warn(in->conf.warn_ctx, e);
	}
}

/* ---- the group map -------------------------------------------------------------------- */

struct group_entry {
	char *key;
	size_t len;
	void *value;
};

struct input_groups {
	struct group_entry *v;    /* in insertion order until sorted */
	size_t n, cap;
	size_t *slots;            /* open addressing: index + 1, 0 empty */
	size_t nslots;
	int sorted;
};

static uint64_t hash_key(const char *key, size_t len)
{
	uint64_t h = UINT64_C(1469598103934665603);

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)key[i]) * UINT64_C(1099511628211);
	return h;
}

struct input_groups *input_groups_new(void)
{
	return calloc(1, sizeof(struct input_groups));
}

void input_groups_free(struct input_groups *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->n; i++)
		free(g->v[i].key);
	free(g->v);
	free(g->slots);
	free(g);
}

static size_t *slot_of(struct input_groups *g, const char *key, size_t len)
{
	size_t i = (size_t)hash_key(key, len) & (g->nslots - 1);

	for (;; i = (i + 1) & (g->nslots - 1)) {
		size_t at = g->slots[i];

		if (!at || (g->v[at - 1].len == len && memcmp(g->v[at - 1].key, key, len) == 0))
			return &g->slots[i];
	}
}

void *input_groups_find(struct input_groups *g, const char *key, size_t len)
{
	size_t *s;

	if (!g->nslots)
		return NULL;
	s = slot_of(g, key, len);
	return *s ? g->v[*s - 1].value : NULL;
}

/* Rebuild the slots for the entries as they are now ordered. */
static int rehash(struct input_groups *g, size_t nslots)
{
	size_t *slots = calloc(nslots, sizeof(*slots));

	if (!slots)
		return -1;
	free(g->slots);
	g->slots = slots;
	g->nslots = nslots;
	for (size_t i = 0; i < g->n; i++)
		*slot_of(g, g->v[i].key, g->v[i].len) = i + 1;
	return 0;
}

const char *input_groups_add(struct input_groups *g, const char *key, size_t len, void *value)
{
	char *copy;

	if (g->n == g->cap) {
		size_t cap = g->cap ? 2 * g->cap : 16;
		struct group_entry *v = realloc(g->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		g->v = v;
		g->cap = cap;
	}
	if ((g->n + 1) * 2 > g->nslots && rehash(g, g->nslots ? 2 * g->nslots : 32) == -1)
		return NULL;
	if (!(copy = malloc(len + 1)))
		return NULL;
	memcpy(copy, key, len);
	copy[len] = '\0';
	g->v[g->n] = (struct group_entry){ copy, len, value };
	*slot_of(g, copy, len) = ++g->n;
	g->sorted = 0;
	return copy;
}

size_t input_groups_count(const struct input_groups *g)
{
	return g->n;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct group_entry *x = a, *y = b;
	int c = memcmp(x->key, y->key, x->len < y->len ? x->len : y->len);

	return c ? c : (x->len > y->len) - (x->len < y->len);
}

static void sort_entries(struct input_groups *g)
{
	if (g->sorted)
		return;
	qsort(g->v, g->n, sizeof(*g->v), entry_cmp);
	/* the table holds positions: renumber them (no allocation needed) */
	memset(g->slots, 0, g->nslots * sizeof(*g->slots));
	for (size_t i = 0; i < g->n; i++)
		*slot_of(g, g->v[i].key, g->v[i].len) = i + 1;
	g->sorted = 1;
}

const char *input_groups_key(struct input_groups *g, size_t i)
{
	sort_entries(g);
	return g->v[i].key;
}

void *input_groups_value(struct input_groups *g, size_t i)
{
	sort_entries(g);
	return g->v[i].value;
}
