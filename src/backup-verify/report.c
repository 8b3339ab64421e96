/*
 * backup-verify's records and the judgement of a whole backup; see report.h.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "report.h"
#include "tm.h"
#include "banned.h"

#define QUOTE_MAX 200      /* bytes of a path or value quoted in a message */
#define HASH_SHOWN 12      /* hex digits of a digest shown in a message */

void bv_report_init(struct bv_report *r, const char *name, const char *path)
{
	memset(r, 0, sizeof(*r));
	r->name = name;
	r->path = path;
	r->mtime_ms = r->newest_entry_ms = r->newest_ms = INT64_MIN;
	r->restore = jv_invalid();
}

void bv_report_release(struct bv_report *r)
{
	jv_free(r->restore);
	r->restore = jv_invalid();
}

void bv_report_count(struct bv_report *r, const struct bv_problem *p)
{
	size_t i;
	const char *code = p->code;

	if (!r->nproblems++)
		srerr_set(&r->first, code, "%s", p->message ? p->message : code);
	for (i = 0; i < r->ncodes; i++)
		if (strcmp(r->counts[i].code, code) == 0)
			break;
	if (i == r->ncodes) {
		if (r->ncodes == BV_REPORT_CODES) {
			code = "other";
			for (i = 0; i < r->ncodes && strcmp(r->counts[i].code, code); i++)
				;
			if (i == r->ncodes)
				i--;   /* the last slot becomes "other" */
		} else {
			r->ncodes++;
		}
		snprintf(r->counts[i].code, sizeof(r->counts[i].code), "%s", code);
	}
	r->counts[i].n++;
}

void bv_report_trouble(struct bv_report *r, const struct srerr *e)
{
	if (r->trouble)
		return;
	r->trouble = 1;
	r->trouble_err = *e;
	if (!r->trouble_err.code[0])
		snprintf(r->trouble_err.code, sizeof(r->trouble_err.code), "io");
}

int bv_report_ok(const struct bv_report *r)
{
	return !r->trouble && r->nproblems == 0;
}

/* ---- records ----------------------------------------------------------------------- */

static jv set(jv obj, const char *key, jv value)
{
	return jv_object_set(obj, jv_string(key), value);
}

static jv time_string(int64_t ms)
{
	char text[TM_RFC3339_SIZE];

	if (tm_format_rfc3339(ms, text, NULL) == -1)
		return jv_null();
	return jv_string(text);
}

static jv error_json(const char *code, const char *message)
{
	return set(set(jv_object(), "code", jv_string(code)), "message", jv_string(message));
}

static jv report_error(const struct bv_report *r)
{
	char msg[SRERR_MSG_MAX + 64];

	if (r->trouble)
		return error_json(r->trouble_err.code, r->trouble_err.msg);
	if (r->nproblems == 1)
		return error_json(r->first.code, r->first.msg);
	snprintf(msg, sizeof(msg), "%" PRIu64 " problems, the first: %s", r->nproblems,
		 r->first.msg);
	return error_json(r->first.code, msg);
}

static jv identity_json(jv j, const struct bv_report *r)
{
	jv filters = jv_array();

	if (r->format[0])
		j = set(j, "format", jv_string(r->format));
	for (size_t i = 0; i < r->nfilters; i++)
		filters = jv_array_append(filters, jv_string(r->filters[i]));
	j = set(j, "filters", filters);
	j = set(j, "entries", jv_number((double)r->entries));
	j = set(j, "bytes", jv_number((double)r->bytes));
	j = set(j, "data_bytes", jv_number((double)r->data_bytes));
	if (r->sha256[0])
		j = set(j, "sha256", jv_string(r->sha256));
	if (r->mtime_ms != INT64_MIN)
		j = set(j, "mtime", time_string(r->mtime_ms));
	if (r->newest_ms != INT64_MIN) {
		j = set(j, "newest", time_string(r->newest_ms));
		j = set(j, "age_seconds", jv_number((double)(r->age_ms / 1000)));
	}
	return j;
}

static jv history_json(const struct bv_history *h)
{
	jv j = set(jv_object(), "reports", jv_number((double)h->n));

	if (h->n) {
		j = set(j, "median_bytes", jv_number(h->median_bytes));
		j = set(j, "median_entries", jv_number(h->median_entries));
	}
	return j;
}

jv bv_report_record(const struct bv_report *r, int64_t now_ms)
{
	jv j = set(jv_object(), "kind", jv_string("backup.report"));
	jv counts = jv_object();

	j = set(j, "time", time_string(now_ms));
	j = set(j, "name", jv_string(r->name));
	j = set(j, "path", jv_string(r->path));
	j = identity_json(j, r);
	j = set(j, "seconds", jv_number(round(r->seconds * 1000) / 1000));
	if (r->manifest)
		j = set(j, "manifest", jv_string(r->manifest));
	if (r->has_history)
		j = set(j, "history", history_json(&r->history));
	if (jv_is_valid(r->restore))
		j = set(j, "restore", jv_copy(r->restore));
	j = set(j, "ok", jv_bool(bv_report_ok(r)));
	for (size_t i = 0; i < r->ncodes; i++)
		counts = set(counts, r->counts[i].code, jv_number((double)r->counts[i].n));
	j = set(j, "problems", counts);
	if (!bv_report_ok(r))
		j = set(j, "error", report_error(r));
	return j;
}

jv bv_problem_record(const char *name, const char *backup, const struct bv_problem *p,
		     int64_t now_ms)
{
	jv j = set(jv_object(), "kind", jv_string("backup.problem"));

	j = set(j, "time", time_string(now_ms));
	j = set(j, "name", jv_string(name));
	j = set(j, "backup", jv_string(backup));
	if (p->path)
		j = set(j, "path", jv_string(p->path));
	j = set(j, "problem", jv_string(p->code));
	if (p->expected)
		j = set(j, "expected", jv_string(p->expected));
	if (p->actual)
		j = set(j, "actual", jv_string(p->actual));
	return set(j, "message", jv_string(p->message ? p->message : p->code));
}

static jv validate_json(const struct bv_restore_result *res)
{
	jv v = jv_object();

	v = set(v, "ok", jv_bool(res->validate_exit == 0 && !res->validate_signal &&
				 !res->validate_timed_out));
	v = set(v, "exit", res->validate_exit >= 0 ? jv_number(res->validate_exit) : jv_null());
	if (res->validate_signal) {
		const char *name = sigabbrev_np(res->validate_signal);

		v = set(v, "signal", name ? jv_string_fmt("SIG%s", name)
					  : jv_number(res->validate_signal));
	}
	if (res->validate_timed_out)
		v = set(v, "timed_out", jv_true());
	v = set(v, "seconds", jv_number(round(res->validate_seconds * 1000) / 1000));
	v = set(v, "output", jv_string(res->validate_output ? res->validate_output : ""));
	return set(v, "output_bytes", jv_number((double)res->validate_output_bytes));
}

jv bv_restore_json(const struct bv_restore_result *res, int ran, const char *why)
{
	jv j = jv_object();

	if (!ran) {
		j = set(j, "ok", jv_false());
		j = set(j, "skipped", jv_true());
		return set(j, "message", jv_string(why ? why : "not attempted"));
	}
	j = set(j, "ok", jv_bool(res->ok));
	j = set(j, "seconds", jv_number(round(res->seconds * 1000) / 1000));
	j = set(j, "verify_seconds", jv_number(round(res->verify_seconds * 1000) / 1000));
	j = set(j, "entries", jv_number((double)res->entries));
	j = set(j, "bytes", jv_number((double)res->bytes));
	j = set(j, "skipped_entries", jv_number((double)res->skipped));
	j = set(j, "refused_entries", jv_number((double)res->refused));
	if (res->kept && res->dir)
		j = set(j, "dir", jv_string(res->dir));
	if (res->validated)
		j = set(j, "validate", validate_json(res));
	return j;
}

/* ---- messages ------------------------------------------------------------------------ */

static void shorten(const char *s, char *buf, size_t size)
{
	srerr_shorten(s ? s : "", buf, size);
}

static void hash_short(const char *hex, char *buf, size_t size)
{
	if (!hex || strlen(hex) <= HASH_SHOWN)
		shorten(hex, buf, size);
	else
		snprintf(buf, size, "%.*s...", HASH_SHOWN, hex);
}

void bv_diff_message(char *buf, size_t size, const char *code, const char *path,
		     const char *expected, const char *actual)
{
	char p[QUOTE_MAX], x[QUOTE_MAX], a[QUOTE_MAX];
	const char *c = code, *after = "";

	if (strncmp(c, "restore_", 8) == 0) {
		c += 8;
		after = " after the restore";
	}
	shorten(path, p, sizeof(p));
	if (strcmp(c, "changed_hash") == 0) {
		hash_short(actual, a, sizeof(a));
		hash_short(expected, x, sizeof(x));
	} else {
		shorten(actual, a, sizeof(a));
		shorten(expected, x, sizeof(x));
	}
	if (strcmp(c, "missing") == 0)
		snprintf(buf, size, "'%s' is missing%s", p, after);
	else if (strcmp(c, "extra") == 0)
		snprintf(buf, size, after[0] ? "'%s' is extra%s" : "'%s' is not in the manifest%s",
			 p, after);
	else if (strcmp(c, "changed_size") == 0)
		snprintf(buf, size, "'%s': size %s, expected %s%s", p, a, x, after);
	else if (strcmp(c, "changed_hash") == 0)
		snprintf(buf, size, "'%s': sha256 %s, expected %s%s", p, a, x, after);
	else if (strcmp(c, "changed_mode") == 0)
		snprintf(buf, size, "'%s': mode %s, expected %s%s", p, a, x, after);
	else if (strcmp(c, "changed_type") == 0)
		snprintf(buf, size, "'%s': %s, expected %s%s", p, a, x, after);
	else if (strcmp(c, "changed_link") == 0)
		snprintf(buf, size, "'%s': link target '%s', expected '%s'%s", p, a, x, after);
	else
		snprintf(buf, size, "'%s': %s: expected %s, found %s", p, code, x, a);
}

/* ---- judgement ------------------------------------------------------------------------ */

int64_t bv_newest_time(enum bv_age_from from, int64_t archive_ms, int64_t newest_entry_ms)
{
	switch (from) {
	case BV_AGE_ARCHIVE: return archive_ms;
	case BV_AGE_ENTRIES: return newest_entry_ms;
	default: return archive_ms > newest_entry_ms ? archive_ms : newest_entry_ms;
	}
}

static void judge_age(struct bv_report *r, const struct bv_settings *s, int64_t now_ms,
		      bv_judge_fn cb, void *arg)
{
	char max[TM_DURATION_SIZE], want[TM_DURATION_SIZE + 16], age[TM_DURATION_SIZE];
	char msg[256];
	struct bv_problem p = { "too_old", NULL, want, age, msg };

	r->newest_ms = bv_newest_time(s->age_from, r->mtime_ms, r->newest_entry_ms);
	if (r->newest_ms != INT64_MIN)
		r->age_ms = now_ms - r->newest_ms;
	if (!s->max_age_ms)
		return;
	snprintf(want, sizeof(want), "at most %s", tm_format_duration(s->max_age_ms, max));
	if (r->newest_ms == INT64_MIN) {
		p.actual = NULL;
		snprintf(msg, sizeof(msg), "the backup's age is unknown: %s",
			 s->age_from == BV_AGE_ENTRIES ? "no entry has a modification time"
						       : "no modification time");
		cb(arg, &p);
	} else if (r->age_ms > s->max_age_ms) {
		tm_format_duration(r->age_ms, age);
		snprintf(msg, sizeof(msg), "the backup is %s old, more than --max-age %s", age,
			 max);
		cb(arg, &p);
	}
}

static void judge_size(const struct bv_report *r, const struct bv_settings *s,
		       bv_judge_fn cb, void *arg)
{
	char want[64], got[64], msg[256];
	struct bv_problem p = { "too_small", NULL, want, got, msg };

	if (!s->min_size || r->bytes >= s->min_size)
		return;
	snprintf(want, sizeof(want), "at least %" PRIu64 " bytes", s->min_size);
	snprintf(got, sizeof(got), "%" PRIu64 " bytes", r->bytes);
	snprintf(msg, sizeof(msg), "the backup has %s, less than --min-size %" PRIu64,
		 got, s->min_size);
	cb(arg, &p);
}

static void judge_anomaly(const char *code, const char *what, double median, double actual,
			  double tolerance, bv_judge_fn cb, void *arg)
{
	char want[96], got[48], msg[256];
	struct bv_problem p = { code, NULL, want, got, msg };

	if (!bv_history_anomaly(median, actual, tolerance))
		return;
	snprintf(want, sizeof(want), "%.0f +- %g%%", median, tolerance * 100);
	snprintf(got, sizeof(got), "%.0f", actual);
	snprintf(msg, sizeof(msg), "%s %.0f differs from the median %.0f of earlier reports "
		 "by more than %g%%", what, actual, median, tolerance * 100);
	cb(arg, &p);
}

void bv_report_judge(struct bv_report *r, const struct bv_settings *s,
		     const struct bv_history *hist, int64_t now_ms, bv_judge_fn cb, void *arg)
{
	judge_age(r, s, now_ms, cb, arg);
	judge_size(r, s, cb, arg);
	if (!hist || !hist->n)
		return;
	judge_anomaly("size_anomaly", "size", hist->median_bytes, (double)r->bytes,
		      s->tolerance, cb, arg);
	judge_anomaly("entries_anomaly", "entry count", hist->median_entries,
		      (double)r->entries, s->tolerance, cb, arg);
}
