/*
 * slo-budget's options: recorded by options_set, checked together by options_finish.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"
#include "status.h"
#include "tm.h"
#include "banned.h"

const struct option options_long[] = {
	CLI_LONGOPTS,
	{ "objective", required_argument, NULL, OPT_OBJECTIVE },
	{ "window", required_argument, NULL, OPT_WINDOW },
	{ "calendar", required_argument, NULL, OPT_CALENDAR },
	{ "tz", required_argument, NULL, OPT_TZ },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "spec", required_argument, NULL, OPT_SPEC },
	{ "group-by", required_argument, NULL, OPT_GROUP_BY },
	{ "method", required_argument, NULL, OPT_METHOD },
	{ "timeslice", required_argument, NULL, OPT_TIMESLICE },
	{ "slice-objective", required_argument, NULL, OPT_SLICE_OBJECTIVE },
	{ "min-events", required_argument, NULL, OPT_MIN_EVENTS },
	{ "time-field", required_argument, NULL, OPT_TIME_FIELD },
	{ "good", required_argument, NULL, OPT_GOOD },
	{ "latency-field", required_argument, NULL, OPT_LATENCY_FIELD },
	{ "threshold", required_argument, NULL, OPT_THRESHOLD },
	{ "counts", no_argument, NULL, OPT_COUNTS },
	{ "prometheus", required_argument, NULL, OPT_PROMETHEUS },
	{ "good-query", required_argument, NULL, OPT_GOOD_QUERY },
	{ "total-query", required_argument, NULL, OPT_TOTAL_QUERY },
	{ "bad-query", required_argument, NULL, OPT_BAD_QUERY },
	{ "bearer-token-file", required_argument, NULL, OPT_BEARER_TOKEN_FILE },
	{ "basic-auth-file", required_argument, NULL, OPT_BASIC_AUTH_FILE },
	{ "insecure", no_argument, NULL, OPT_INSECURE },
	{ "cacert", required_argument, NULL, OPT_CACERT },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "now", required_argument, NULL, OPT_NOW },
	{ "follow", no_argument, NULL, OPT_FOLLOW },
	{ "report-every", required_argument, NULL, OPT_REPORT_EVERY },
	{ "fail-on", required_argument, NULL, OPT_FAIL_ON },
	{ "lenient", no_argument, NULL, OPT_LENIENT },
	{ NULL, 0, NULL, 0 },
};

void options_init(struct options *o)
{
	memset(o, 0, sizeof(*o));
	spec_slo_init(&o->tmpl);
	snprintf(o->time_path, sizeof(o->time_path), "%s", OPTIONS_DEFAULT_TIME_FIELD);
}

void options_release(struct options *o)
{
	for (size_t i = 0; i < o->nslos; i++)
		spec_ready_release(&o->slos[i]);
	free(o->slos);
	spec_slo_release(&o->tmpl);
	memset(o, 0, sizeof(*o));
}

/* "--window" for OPT_WINDOW. */
static const char *option_name(int code)
{
	static char name[40];

	for (const struct option *p = options_long; p->name; p++)
		if (p->val == code) {
			snprintf(name, sizeof(name), "--%s", p->name);
			return name;
		}
	return "--?";
}

static int given(const struct options *o, int code)
{
	return (o->given >> (code - OPT_OBJECTIVE)) & 1;
}

static int bad_value(struct srerr *e, int code, const char *arg, const char *expected)
{
	char shown[80];

	srerr_shorten(arg, shown, sizeof(shown));
	srerr_set(e, "usage", "invalid %s '%s': expected %s", option_name(code), shown, expected);
	return -1;
}

static int set_duration(int64_t *ms, int code, const char *arg, const char *like,
			struct srerr *e)
{
	int64_t v;

	if (tm_parse_duration(arg, &v, NULL) == -1)
		return bad_value(e, code, arg, like);
	if (v <= 0)
		return bad_value(e, code, arg, "a duration above 0");
	*ms = v;
	return 0;
}

/* An RFC 3339 time or epoch seconds. */
static int set_now(struct options *o, const char *arg, struct srerr *e)
{
	char *end;
	double secs;

	if (tm_parse_rfc3339(arg, &o->now_ms, NULL) == 0) {
		o->has_now = 1;
		return 0;
	}
	errno = 0;
	secs = strtod(arg, &end);
	if (*arg && ((*arg >= '0' && *arg <= '9') || *arg == '-') && !*end && !errno &&
	    isfinite(secs) && tm_from_epoch_seconds(secs, &o->now_ms, NULL) == 0) {
		o->has_now = 1;
		return 0;
	}
	return bad_value(e, OPT_NOW, arg, "an RFC 3339 time like 2026-03-01T12:00:00Z or "
			 "epoch seconds");
}

/* One condition or a comma-separated list of them. */
static int set_fail_on(struct options *o, const char *arg, struct srerr *e)
{
	char word[32];
	const char *p = arg, *comma;
	enum slo_condition c;

	do {
		comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		if (len >= sizeof(word))
			return bad_value(e, OPT_FAIL_ON, arg, "exhausted, page, ticket or breach");
		memcpy(word, p, len);
		word[len] = '\0';
		if (slo_condition_parse(word, &c, NULL) == -1)
			return bad_value(e, OPT_FAIL_ON, arg, "exhausted, page, ticket or breach");
		o->fail_on |= 1u << c;
		p = comma + 1;
	} while (comma);
	return 0;
}

static int set_time_field(struct options *o, const char *arg, struct srerr *e)
{
	char dotted[sizeof(o->time_path) + 2];

	snprintf(dotted, sizeof(dotted), "%s%s", *arg == '.' ? "" : ".", arg);
	if (!spec_simple_path(dotted, o->time_path, sizeof(o->time_path)))
		return bad_value(e, OPT_TIME_FIELD, arg, "a field path like .time");
	return 0;
}

static int set_run_option(struct options *o, int code, const char *arg, struct srerr *e)
{
	switch (code) {
	case OPT_SPEC: o->spec_path = arg; return 0;
	case OPT_TIME_FIELD: return set_time_field(o, arg, e);
	case OPT_COUNTS: o->counts = 1; return 0;
	case OPT_PROMETHEUS: o->prometheus = arg; return 0;
	case OPT_BEARER_TOKEN_FILE: o->bearer_token_file = arg; return 0;
	case OPT_BASIC_AUTH_FILE: o->basic_auth_file = arg; return 0;
	case OPT_INSECURE: o->insecure = 1; return 0;
	case OPT_CACERT: o->cacert = arg; return 0;
	case OPT_TIMEOUT: return set_duration(&o->timeout_ms, code, arg, "a duration like 30s", e);
	case OPT_NOW: return set_now(o, arg, e);
	case OPT_FOLLOW: o->follow = 1; return 0;
	case OPT_REPORT_EVERY:
		return set_duration(&o->report_every_ms, code, arg, "a duration like 1m", e);
	case OPT_FAIL_ON: return set_fail_on(o, arg, e);
	case OPT_LENIENT: o->lenient = 1; return 0;
	default: break;
	}
	srerr_set(e, "usage", "unknown option");
	return -1;
}

int options_set(struct options *o, int code, const char *arg, struct srerr *e)
{
	const char *name = option_name(code);
	int rc;

	if (code < OPT_OBJECTIVE || code >= OPT_END_) {
		srerr_set(e, "usage", "unknown option");
		return -1;
	}
	o->given |= UINT64_C(1) << (code - OPT_OBJECTIVE);
	rc = spec_slo_set(&o->tmpl, name + 2, name, arg ? arg : "", e);
	if (rc != 1)
		return rc;
	return set_run_option(o, code, arg, e);
}

/* ---- options together ------------------------------------------------------------------ */

static int conflict(struct srerr *e, int a, int b)
{
	char first[40];

	snprintf(first, sizeof(first), "%s", option_name(a));
	srerr_set(e, "usage", "%s and %s do not go together", first, option_name(b));
	return -1;
}

/* The first of codes[] that was given, or 0. */
static int first_given(const struct options *o, const int *codes, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (given(o, codes[i]))
			return codes[i];
	return 0;
}

#define FIRST_GIVEN(o, ...) \
	first_given(o, (const int[]){ __VA_ARGS__ }, sizeof((const int[]){ __VA_ARGS__ }) / sizeof(int))

static int check_rules(const struct options *o, size_t nfiles, struct srerr *e)
{
	int bad = FIRST_GIVEN(o, OPT_GROUP_BY, OPT_TIME_FIELD, OPT_GOOD, OPT_LATENCY_FIELD,
			      OPT_THRESHOLD, OPT_COUNTS, OPT_PROMETHEUS, OPT_BEARER_TOKEN_FILE,
			      OPT_BASIC_AUTH_FILE, OPT_INSECURE, OPT_CACERT, OPT_TIMEOUT, OPT_NOW,
			      OPT_FOLLOW, OPT_REPORT_EVERY, OPT_FAIL_ON, OPT_LENIENT);

	if (bad) {
		srerr_set(e, "usage", "%s does not apply to 'slo-budget rules'", option_name(bad));
		return -1;
	}
	if (nfiles) {
		srerr_set(e, "usage", "'slo-budget rules' reads no files");
		return -1;
	}
	return 0;
}

static int check_prometheus(const struct options *o, size_t nfiles, struct srerr *e)
{
	int bad = FIRST_GIVEN(o, OPT_COUNTS, OPT_FOLLOW, OPT_GROUP_BY, OPT_GOOD,
			      OPT_LATENCY_FIELD, OPT_THRESHOLD, OPT_TIME_FIELD, OPT_LENIENT,
			      OPT_REPORT_EVERY);

	if (bad)
		return conflict(e, OPT_PROMETHEUS, bad);
	if (nfiles) {
		srerr_set(e, "usage", "--prometheus reads no files");
		return -1;
	}
	if (given(o, OPT_BEARER_TOKEN_FILE) && given(o, OPT_BASIC_AUTH_FILE))
		return conflict(e, OPT_BEARER_TOKEN_FILE, OPT_BASIC_AUTH_FILE);
	return 0;
}

static int check_events(const struct options *o, struct srerr *e)
{
	int bad = FIRST_GIVEN(o, OPT_GOOD_QUERY, OPT_TOTAL_QUERY, OPT_BAD_QUERY,
			      OPT_BEARER_TOKEN_FILE, OPT_BASIC_AUTH_FILE, OPT_INSECURE,
			      OPT_CACERT, OPT_TIMEOUT);

	if (bad) {
		srerr_set(e, "usage", "%s needs --prometheus URL", option_name(bad));
		return -1;
	}
	if (o->counts && (bad = FIRST_GIVEN(o, OPT_GOOD, OPT_LATENCY_FIELD, OPT_THRESHOLD)))
		return conflict(e, OPT_COUNTS, bad);
	if (o->follow && o->has_now)
		return conflict(e, OPT_FOLLOW, OPT_NOW);
	if (given(o, OPT_REPORT_EVERY) && !o->follow) {
		srerr_set(e, "usage", "--report-every needs --follow");
		return -1;
	}
	return 0;
}

/* Who a message about one SLO's fields speaks of. */
static void slo_subject(const struct options *o, const struct spec_ready *r, char *out,
			size_t size)
{
	if (o->spec_path)
		snprintf(out, size, "SLO '%s'", r->def.name);
	else
		snprintf(out, size, "%s", o->verb == VERB_RULES ? "'slo-budget rules'" :
			 o->prometheus ? "--prometheus" : "slo-budget");
}

/* What one built SLO needs from the source (its fields may come from a spec file). */
static int check_slo(const struct options *o, const struct spec_ready *r, struct srerr *e)
{
	char who[160];
	const char *msg = NULL;

	slo_subject(o, r, who, sizeof(who));
	if (o->prometheus || o->verb == VERB_RULES) {
		if (r->group_by || r->good || r->latency_field)
			msg = "--good, --latency-field and --group-by apply to events, not to queries";
		else if (!r->total_query)
			msg = "needs --total-query QUERY";
		else if (!r->good_query && !r->bad_query)
			msg = "needs --good-query QUERY or --bad-query QUERY";
	} else if (r->good_query || r->total_query || r->bad_query) {
		msg = "queries need --prometheus URL";
	} else if (o->counts && (r->good || r->latency_field)) {
		msg = "--counts records carry good and total: --good and --latency-field do not apply";
	}
	if (!msg)
		return 0;
	srerr_set(e, "usage", "%s%s %s", who, msg[0] == 'n' ? "" : ":", msg);
	return -1;
}

/* The SLOs: the command line's one, or one per --spec record. */
static int build_slos(struct options *o, struct srerr *e)
{
	struct spec_slo *list = &o->tmpl;
	size_t n = 1;
	int rc = 0;

	if (o->spec_path && !(list = spec_load(o->spec_path, &o->tmpl, &n, e)))
		return -1;
	if (!(o->slos = calloc(n, sizeof(*o->slos)))) {
		srerr_set(e, "oom", "out of memory");
		rc = -1;
	}
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (spec_finish(&list[i], &o->slos[i], e) == -1) {
			if (o->spec_path)
				srerr_prefix(e, "%s: SLO '%s'", o->spec_path,
					     list[i].name ? list[i].name : SPEC_DEFAULT_NAME);
			rc = -1;
			break;
		}
		o->nslos++;
		rc = check_slo(o, &o->slos[i], e);
	}
	if (o->spec_path) {
		for (size_t i = 0; i < n; i++)
			spec_slo_release(&list[i]);
		free(list);
	}
	return rc;
}

int options_finish(struct options *o, size_t nfiles, struct srerr *e)
{
	int rc;

	if (o->verb == VERB_RULES)
		rc = check_rules(o, nfiles, e);
	else if (o->prometheus)
		rc = check_prometheus(o, nfiles, e);
	else
		rc = check_events(o, e);
	if (rc == -1 || build_slos(o, e) == -1)
		return -1;
	if (o->verb == VERB_RULES && o->nslos != 1) {
		srerr_set(e, "usage", "'slo-budget rules' writes the rules of one SLO; the spec "
			  "has %zu", o->nslos);
		return -1;
	}
	if (!o->report_every_ms)
		o->report_every_ms = OPTIONS_DEFAULT_REPORT_EVERY_MS;
	return 0;
}
