#ifndef SLO_BUDGET_OPTIONS_H
#define SLO_BUDGET_OPTIONS_H
/*
 * slo-budget's command line: main() feeds each of the command's own options to
 * options_set, which only records and checks its value; options_finish then checks
 * that the options go together for the verb and builds the SLOs of the run.
 */
#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "spec.h"
#include "srerr.h"

/* Long-only options (getopt_long codes); -o -q -v -h --version are cli's. */
enum options_code {
	OPT_OBJECTIVE = CLI_OPT_FIRST_FREE, OPT_WINDOW, OPT_CALENDAR, OPT_TZ, OPT_NAME,
	OPT_SPEC, OPT_GROUP_BY, OPT_METHOD, OPT_TIMESLICE, OPT_SLICE_OBJECTIVE,
	OPT_MIN_EVENTS, OPT_TIME_FIELD, OPT_GOOD, OPT_LATENCY_FIELD, OPT_THRESHOLD,
	OPT_COUNTS, OPT_PROMETHEUS, OPT_GOOD_QUERY, OPT_TOTAL_QUERY, OPT_BAD_QUERY,
	OPT_BEARER_TOKEN_FILE, OPT_BASIC_AUTH_FILE, OPT_INSECURE, OPT_CACERT, OPT_TIMEOUT,
	OPT_NOW, OPT_FOLLOW, OPT_REPORT_EVERY, OPT_FAIL_ON, OPT_LENIENT,
	OPT_END_,
};

/* The getopt_long table, CLI_LONGOPTS first. */
extern const struct option options_long[];

enum options_verb { VERB_CHECK, VERB_RULES };

#define OPTIONS_DEFAULT_TIME_FIELD "time"
#define OPTIONS_DEFAULT_REPORT_EVERY_MS INT64_C(60000)
#define OPTIONS_BEARER_ENV "SLO_BUDGET_BEARER_TOKEN"

struct options {
	enum options_verb verb;
	struct spec_slo tmpl;         /* the SLO options (the defaults of --spec entries) */
	const char *spec_path;        /* --spec */
	char time_path[260];          /* --time-field, without the leading dot */
	int counts, follow, lenient;
	int has_now;
	int64_t now_ms;               /* --now */
	int64_t report_every_ms;      /* 0: not given */
	unsigned fail_on;             /* bit (1 << enum slo_condition) per --fail-on */
	const char *prometheus;       /* --prometheus URL */
	const char *bearer_token_file, *basic_auth_file, *cacert;
	int insecure;
	int64_t timeout_ms;           /* 0: not given */
	uint64_t given;               /* bit (code - OPT_OBJECTIVE) per option that appeared */
	/* built by options_finish */
	struct spec_ready *slos;
	size_t nslos;
};

void options_init(struct options *o);
void options_release(struct options *o);

/* Record one of slo-budget's own options.  -1 and e (code "usage") on an invalid
   value: "invalid --window '3x': expected a duration like 30d". */
int options_set(struct options *o, int code, const char *arg, struct srerr *e);

/*
 * Check the options against each other, the verb and the operands (nfiles input files),
 * and build o->slos.  -1 and e (code "usage"; "io", "zone" or "parse" from a --spec
 * file) when they do not go together.
 */
int options_finish(struct options *o, size_t nfiles, struct srerr *e);

#endif
