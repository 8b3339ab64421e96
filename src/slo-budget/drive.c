/*
 * `slo-budget check`: sources into series, series into statuses.  See drive.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drive.h"
#include "input.h"
#include "ndjson.h"
#include "prom.h"
#include "series.h"
#include "status.h"
#include "tm.h"
#include "banned.h"

/* One series: an SLO, or one group of it. */
struct entry {
	struct slo_series *series;
	const char *group;            /* the map's key; NULL when the SLO has no groups */
	enum slo_severity severity;   /* at its last evaluation */
};

/* One SLO of the run. */
struct tracked {
	const struct spec_ready *slo;
	struct input_groups *groups;  /* with --group-by: key -> struct entry * */
	struct entry *single;         /* without */
	int64_t width;                /* bucket width */
	int64_t checked;              /* --follow: the bucket of the last severity check */
};

struct drive {
	const struct drive_conf *c;
	struct tracked *t;
	size_t nt;
	size_t nseries;
	int64_t until;                /* batch --now: later events are ignored */
	int problem;                  /* a --fail-on condition held on a final status */
	size_t warned;                /* --lenient warnings printed */
};

static int oom(struct srerr *e)
{
	srerr_set(e, "oom", "out of memory");
	return -1;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* ---- series ------------------------------------------------------------------------ */

static struct entry *entry_new(struct drive *d, const struct tracked *t, struct srerr *e)
{
	struct entry *en;

	if (d->nseries == DRIVE_MAX_SERIES) {
		srerr_set(e, "limit", "more than %d series (SLOs times groups): is --group-by "
			  "'%s' right?", DRIVE_MAX_SERIES, t->slo->group_by ? t->slo->group_by : "");
		return NULL;
	}
	if (!(en = calloc(1, sizeof(*en)))) {
		oom(e);
		return NULL;
	}
	if (!(en->series = slo_series_new(&t->slo->def, e))) {
		free(en);
		return NULL;
	}
	slo_series_set_until(en->series, d->until);
	d->nseries++;
	return en;
}

static void entry_free(struct entry *en)
{
	if (en)
		slo_series_free(en->series);
	free(en);
}

/* The entry of group key (len bytes) of t, made on first sight. */
static struct entry *group_entry(struct drive *d, struct tracked *t, const char *key,
				 size_t len, struct srerr *e)
{
	struct entry *en = input_groups_find(t->groups, key, len);

	if (en)
		return en;
	if (!(en = entry_new(d, t, e)))
		return NULL;
	if (!(en->group = input_groups_add(t->groups, key, len, en))) {
		entry_free(en);
		oom(e);
		return NULL;
	}
	return en;
}

static size_t entry_count(const struct tracked *t)
{
	return t->groups ? input_groups_count(t->groups) : 1;
}

static struct entry *entry_at(struct tracked *t, size_t i)
{
	return t->groups ? input_groups_value(t->groups, i) : t->single;
}

static int drive_init(struct drive *d, const struct drive_conf *c, struct srerr *e)
{
	const struct options *o = c->opts;

	memset(d, 0, sizeof(*d));
	d->c = c;
	d->until = o->has_now && !o->follow ? o->now_ms : INT64_MAX;
	if (!(d->t = calloc(o->nslos, sizeof(*d->t))))
		return oom(e);
	d->nt = o->nslos;
	for (size_t i = 0; i < d->nt; i++) {
		struct tracked *t = &d->t[i];

		t->slo = &o->slos[i];
		t->width = slo_bucket_ms(&t->slo->def);
		t->checked = INT64_MIN;
		if (t->slo->group_by ? !(t->groups = input_groups_new())
				     : !(t->single = entry_new(d, t, e)))
			return t->slo->group_by ? oom(e) : -1;
	}
	return 0;
}

static void drive_release(struct drive *d)
{
	for (size_t i = 0; d->t && i < d->nt; i++) {
		struct tracked *t = &d->t[i];

		for (size_t j = 0; t->groups && j < input_groups_count(t->groups); j++)
			entry_free(input_groups_value(t->groups, j));
		input_groups_free(t->groups);
		entry_free(t->single);
	}
	free(d->t);
}

/* ---- statuses ------------------------------------------------------------------------ */

/* Why a page fires: the first page alert that does, with its burn rates. */
static void page_reason(const struct slo_status *st, char *msg, size_t size)
{
	char n1[SLO_NUMBER_SIZE], n2[SLO_NUMBER_SIZE], n3[SLO_NUMBER_SIZE];

	for (int i = 0; i < SLO_NALERTS; i++) {
		const struct slo_alert_rule *r = &slo_alert_rules[i];
		const struct slo_alert_state *a = &st->alerts[i];

		if (r->severity != SLO_SEV_PAGE || !a->firing)
			continue;
		snprintf(msg, size, "page alert firing: burn rate %s over %s and %s over %s, "
			 "threshold %s", slo_number_format(a->burn_long, n1),
			 slo_burn_window_name(r->long_burn), slo_number_format(a->burn_short, n2),
			 slo_burn_window_name(r->short_burn), slo_number_format(a->threshold, n3));
		return;
	}
	snprintf(msg, size, "page alert firing");
}

/* The stream contract: a record with "ok": false says why in "error". */
static jv with_error(jv rec, const struct slo_status *st)
{
	char msg[256];
	const char *code;

	if (st->ok)
		return rec;
	if (st->exhausted) {
		code = "budget_exhausted";
		snprintf(msg, sizeof(msg), "error budget exhausted: %.1f%% consumed",
			 st->consumed_ratio * 100);
	} else {
		code = "burn_rate";
		page_reason(st, msg, sizeof(msg));
	}
	return jv_object_set(rec, jv_string("error"),
			     JV_OBJECT(jv_string("code"), jv_string(code),
				       jv_string("message"), jv_string(msg)));
}

/* Evaluate en at now into *st. */
static int evaluate(const struct tracked *t, const struct entry *en, int64_t now,
		    struct slo_status *st, struct srerr *e)
{
	if (slo_evaluate(&t->slo->def, en->series, now, st, e) == -1) {
		srerr_prefix(e, "SLO '%s'", t->slo->def.name);
		return -1;
	}
	return 0;
}

/* Print the status st of en; a final one is judged by the --fail-on conditions. */
static int emit(struct drive *d, const struct tracked *t, struct entry *en,
		const struct slo_status *st, size_t skipped, int final, struct srerr *e)
{
	const struct options *o = d->c->opts;
	jv rec = with_error(slo_status_record(&t->slo->def, st, en->group), st);

	if (o->lenient)
		rec = jv_object_set(rec, jv_string("skipped"), jv_number((double)skipped));
	en->severity = st->severity;
	for (int c = 0; final && c <= SLO_COND_BREACH; c++)
		if ((o->fail_on >> c & 1) && slo_condition_holds(st, (enum slo_condition)c))
			d->problem = 1;
	return output_status(d->c->out, rec, e);
}

/* A status for every SLO and group at now. */
static int report_all(struct drive *d, int64_t now, size_t skipped, int final,
		      struct srerr *e)
{
	struct slo_status st;

	for (size_t i = 0; i < d->nt; i++) {
		struct tracked *t = &d->t[i];

		for (size_t j = 0; j < entry_count(t); j++) {
			struct entry *en = entry_at(t, j);

			if (evaluate(t, en, now, &st, e) == -1 ||
			    emit(d, t, en, &st, skipped, final, e) == -1)
				return -1;
		}
		t->checked = floor_div(now, t->width);
	}
	return 0;
}

/* --follow between reports: a status for each series whose severity changed, checked
   once per bucket of event time. */
static int check_severities(struct drive *d, int64_t now, size_t skipped, struct srerr *e)
{
	struct slo_status st;

	for (size_t i = 0; i < d->nt; i++) {
		struct tracked *t = &d->t[i];
		int64_t bucket = floor_div(now, t->width);

		if (bucket <= t->checked)
			continue;
		t->checked = bucket;
		for (size_t j = 0; j < entry_count(t); j++) {
			struct entry *en = entry_at(t, j);

			if (evaluate(t, en, now, &st, e) == -1)
				return -1;
			if (st.severity != en->severity && emit(d, t, en, &st, skipped, 0, e) == -1)
				return -1;
		}
	}
	return 0;
}

/* ---- events ---------------------------------------------------------------------------- */

static void warn_skipped(void *ctx, const struct srerr *w)
{
	struct drive *d = ctx;

	if (d->warned++ < DRIVE_WARNINGS)
		cli_warn(d->c->cli, "%s (skipped)", w->msg);
}

/* Add one record's outcomes to the series. */
static int add_event(struct drive *d, const struct input_event *ev, struct srerr *e)
{
	for (size_t i = 0; i < d->nt; i++) {
		struct tracked *t = &d->t[i];
		const struct input_outcome *out = &ev->slo[i];
		struct entry *en = t->groups ? group_entry(d, t, out->group, out->group_len, e)
					     : t->single;

		if (!en)
			return -1;
		if (slo_series_add(en->series, ev->time_ms, out->good, out->total) == -1) {
			srerr_set(e, "invalid", "invalid counts for SLO '%s'", t->slo->def.name);
			return -1;
		}
	}
	return 0;
}

static struct input *open_input(struct drive *d, struct input_slo *slos, struct srerr *e)
{
	const struct options *o = d->c->opts;
	struct ndj_reader_opts ro = { .lenient = o->lenient };
	struct ndj_reader *r = ndj_reader_new(d->c->files, d->c->nfiles, &ro, e);
	struct input_conf ic = { o->time_path, o->counts, o->lenient, slos, d->nt,
				 warn_skipped, d };

	for (size_t i = 0; i < d->nt; i++) {
		const struct spec_ready *s = d->t[i].slo;

		slos[i] = (struct input_slo){ s->good, s->latency_field, s->threshold_ms,
					      s->group_by };
	}
	return r ? input_new(r, &ic, e) : NULL;
}

/* Read everything; in --follow mode report along the way.  *newest: the newest event
   time, INT64_MIN when there was none. */
static int read_all(struct drive *d, struct input *in, int64_t *newest, struct srerr *e)
{
	const struct options *o = d->c->opts;
	struct input_event ev;
	int64_t next_report = INT64_MIN;
	int rc;

	*newest = INT64_MIN;
	while ((rc = input_next(in, &ev, e)) == 1) {
		if (add_event(d, &ev, e) == -1)
			return -1;
		if (ev.time_ms > *newest)
			*newest = ev.time_ms;
		if (!o->follow)
			continue;
		if (next_report == INT64_MIN)
			next_report = (floor_div(*newest, o->report_every_ms) + 1) * o->report_every_ms;
		if (*newest >= next_report) {
			next_report = (floor_div(*newest, o->report_every_ms) + 1) * o->report_every_ms;
			rc = report_all(d, *newest, input_skipped(in), 0, e);
		} else {
			rc = check_severities(d, *newest, input_skipped(in), e);
		}
		if (rc == -1)
			return -1;
	}
	return rc;
}

int drive_events(const struct drive_conf *c, int *problem, struct srerr *e)
{
	struct drive d;
	struct input_slo *slos = calloc(c->opts->nslos, sizeof(*slos));
	struct input *in = NULL;
	int64_t newest, now;
	int rc = -1;

	if (!slos)
		return oom(e);
	if (drive_init(&d, c, e) == 0 && (in = open_input(&d, slos, e)) != NULL &&
	    read_all(&d, in, &newest, e) == 0) {
		now = c->opts->has_now ? c->opts->now_ms : newest != INT64_MIN ? newest : tm_now_ms();
		rc = report_all(&d, now, input_skipped(in), 1, e);
		if (input_skipped(in))
			cli_warn(c->cli, "skipped %zu bad record%s", input_skipped(in),
				 input_skipped(in) == 1 ? "" : "s");
		cli_info(c->cli, "read with %s", input_projected(in) ? "field projection" : "jq");
	}
	input_free(in);
	drive_release(&d);
	free(slos);
	*problem = d.problem;
	return rc;
}

/* ---- Prometheus ------------------------------------------------------------------------ */

static void free_secret(char *s)
{
	if (s)
		explicit_bzero(s, strlen(s));
	free(s);
}

/* The bearer token (a file, or the environment) and basic-auth secret. */
static int read_secrets(const struct options *o, char **token, char **basic, struct srerr *e)
{
	const char *env = getenv(OPTIONS_BEARER_ENV);

	*token = *basic = NULL;
	if (o->bearer_token_file &&
	    !(*token = prom_read_secret(o->bearer_token_file, "bearer token", e)))
		return -1;
	if (!o->bearer_token_file && !o->basic_auth_file && env && *env && !(*token = strdup(env)))
		return oom(e);
	if (o->basic_auth_file &&
	    !(*basic = prom_read_secret(o->basic_auth_file, "basic-auth credentials", e)))
		return -1;
	return 0;
}

static int prom_one(struct drive *d, struct tracked *t, struct prom_source *p, int64_t now,
		    struct srerr *e)
{
	struct slo_status st;
	struct prom_stats stats = { 0 };

	p->good_query = t->slo->good_query;
	p->total_query = t->slo->total_query;
	p->bad_query = t->slo->bad_query;
	p->stats = &stats;
	if (prom_fill(p, &t->slo->def, now, t->single->series, e) == -1) {
		if (d->nt > 1)
			srerr_prefix(e, "SLO '%s'", t->slo->def.name);
		return -1;
	}
	cli_info(d->c->cli, "SLO '%s': %zu requests, %zu instants, %zu added, %zu gaps",
		 t->slo->def.name, stats.requests, stats.instants, stats.added, stats.gaps);
	if (evaluate(t, t->single, now, &st, e) == -1)
		return -1;
	return emit(d, t, t->single, &st, 0, 1, e);
}

int drive_prometheus(const struct drive_conf *c, int *problem, struct srerr *e)
{
	const struct options *o = c->opts;
	struct prom_source p = { .url = o->prometheus, .timeout_ms = o->timeout_ms,
				 .insecure = o->insecure, .cacert = o->cacert };
	struct drive d;
	char *token = NULL, *basic = NULL;
	int64_t now = o->has_now ? o->now_ms : tm_now_ms();
	int rc = -1;

	*problem = 0;
	if (read_secrets(o, &token, &basic, e) == 0) {
		p.bearer_token = token;
		p.basic_auth = basic;
		rc = drive_init(&d, c, e);
		for (size_t i = 0; rc == 0 && i < d.nt; i++)
			rc = prom_one(&d, &d.t[i], &p, now, e);
		*problem = d.problem;
		drive_release(&d);
	}
	free_secret(token);
	free_secret(basic);
	return rc;
}
