#ifndef SLO_BUDGET_SPEC_H
#define SLO_BUDGET_SPEC_H
/*
 * The SLOs of a run.  Without --spec there is one, made of the command-line options;
 * with --spec FILE there is one per record of FILE (a JSON array or NDJSON of
 * objects), each starting from the command-line options as its defaults.  The fields
 * mirror the options:
 *
 *   name             string                 --name (default "slo")
 *   objective        number or string       --objective, exact decimal: 99.9, "99.95"
 *   window           string                 --window, a duration: "30d"
 *   calendar         string                 --calendar week|month|quarter
 *   tz               string                 --tz Area/City
 *   method           string                 --method occurrences|timeslices
 *   timeslice        string                 --timeslice, a duration: "1m"
 *   slice_objective  number or string       --slice-objective
 *   min_events       integer                --min-events
 *   good             string                 --good EXPR
 *   latency_field    string                 --latency-field PATH
 *   threshold        string                 --threshold DURATION
 *   group_by         string                 --group-by EXPR
 *   good_query, total_query, bad_query      --good-query ... (Prometheus)
 *
 * An unknown field is an error, so that a typo never silently drops a setting.
 * Errors name FILE:LINE of the record.  Every error has code "usage" (or "io" when the
 * file cannot be read).
 */
#include <stddef.h>
#include <stdint.h>
#include <jv.h>

#include "slo.h"
#include "srerr.h"

#define SPEC_DEFAULT_NAME "slo"
#define SPEC_MAX_SLOS 1000        /* SLOs in one --spec file */

/* One SLO as the user gave it; strings are owned (malloc'ed) by it. */
struct spec_slo {
	char *name;                       /* NULL: SPEC_DEFAULT_NAME */
	char *objective;                  /* decimal text, NULL: not given */
	int64_t window_ms;                /* 0: not given (30d) */
	char *calendar;                   /* week|month|quarter or NULL */
	char *tz;                         /* NULL: UTC */
	char *method;                     /* occurrences|timeslices or NULL */
	int64_t timeslice_ms;             /* 0: not given (1m) */
	char *slice_objective;            /* decimal text or NULL */
	int64_t min_events;               /* -1: not given (1) */
	char *good;                       /* --good EXPR, NULL: ".ok" */
	char *latency_field;              /* NULL: no latency SLI */
	int64_t threshold_ms;             /* 0: not given */
	char *group_by;                   /* NULL: no groups */
	char *good_query, *total_query, *bad_query;
};

/* The SLO definition and event rules the engine and the input work from. */
struct spec_ready {
	struct slo_def def;               /* owns its name and zone */
	char *good;                       /* NULL: the default .ok */
	char *latency_field;              /* NULL: none */
	int64_t threshold_ms;
	char *group_by;                   /* NULL: none */
	char *good_query, *total_query, *bad_query;
};

void spec_slo_init(struct spec_slo *s);
void spec_slo_release(struct spec_slo *s);
/* A deep copy of from into to (initialized by this call).  -1 and e on out of memory. */
int spec_slo_copy(struct spec_slo *to, const struct spec_slo *from, struct srerr *e);

/*
 * Set one option of an SLO from its text (as on the command line).  field is the
 * option's name without dashes ("window", "slice-objective"); what names it in
 * messages ("--window", or "field 'window'").  Returns 0, 1 when field is not an SLO
 * option, or -1 and e (code "usage"): "invalid --window '3x': expected a duration
 * like 30d".
 */
int spec_slo_set(struct spec_slo *s, const char *field, const char *what, const char *arg,
		 struct srerr *e);

/*
 * Check that the options of s go together and turn them into r (initialized by this
 * call, released with spec_ready_release): the time zone is loaded, the objective
 * parsed, the definition checked by the engine.  -1 and e (code "usage", or "zone"
 * for an unknown time zone).
 */
int spec_finish(const struct spec_slo *s, struct spec_ready *r, struct srerr *e);
void spec_ready_release(struct spec_ready *r);

/*
 * Read the --spec file at path into an array of *n SLOs (malloc'ed, each released by
 * the caller with spec_slo_release, then the array freed), each a copy of tmpl with
 * the record's fields applied.  At least one record is needed; names must be unique.
 * Returns the array, or NULL and e ("FILE:LINE: unknown field 'windw'").
 */
struct spec_slo *spec_load(const char *path, const struct spec_slo *tmpl, size_t *n,
			   struct srerr *e);

/*
 * Whether expr is a plain path into the record, ".a" or ".a.b_c" (identifiers only),
 * which the input reads by projection instead of through jq.  With path_out (size
 * bytes), the path without its leading dot ("a.b_c") for ndj_next_fields.
 */
int spec_simple_path(const char *expr, char *path_out, size_t size);

#endif
