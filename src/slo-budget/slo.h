#ifndef SLO_BUDGET_SLO_H
#define SLO_BUDGET_SLO_H
/*
 * slo-budget's SLO definition: the objective as an exact decimal, the window (rolling
 * or calendar), the budgeting method and the no-data rule.  Pure logic, no I/O.
 *
 * Exactness: a percentage like 99.9 is kept as mantissa 999 and scale 1, and every
 * ratio derived from it is ONE division of two exactly representable integers, so
 * 99.9 gives the target 0.999 and the budget fraction 0.001 as the doubles nearest to
 * those decimals (never 0.9990000000000001).
 *
 * Errors fill e (may be NULL) with these codes:
 *   "parse"  a percentage or condition that is not well-formed
 *   "range"  a value out of range, or values that do not fit together
 *   "zone"   a calendar window without a time zone
 *   "limit"  a window whose ring of buckets would be too large
 */
#include <stdint.h>

#include "srerr.h"
#include "tm.h"

/* ---- exact decimal percentages -------------------------------------------------- */

#define SLO_DECIMAL_MAX_SCALE 9   /* digits after the point */

struct slo_decimal {
	int64_t mantissa;   /* 99.95 -> 9995; 0 means "not set" */
	int scale;          /* 99.95 -> 2 */
	char text[24];      /* canonical text: "99.95" (leading zeros dropped) */
};

/*
 * Parse a percentage strictly above 0 and strictly below 100: digits, optionally a
 * point and 1 to 9 digits ("99", "99.95", "99.999", "0.5", "99.90").  No sign, no
 * exponent, no whitespace, no leading or trailing point.  Returns 0, or -1 with
 * "parse" ("invalid percentage '99.9x': expected a number like 99.9 with at most 9
 * decimals") or "range" ("percentage '100' out of range: expected more than 0 and
 * less than 100").  On error *d is left untouched.  Callers prefix the option name.
 */
int slo_decimal_parse(const char *s, struct slo_decimal *d, struct srerr *e);
/* The percentage as a double (99.9), the one division mantissa / 10^scale; this is
 * what the record echoes as "objective" and prints as the text the user wrote. */
double slo_decimal_value(const struct slo_decimal *d);
/* The target ratio mantissa / 10^(scale+2): 0.999 for 99.9. */
double slo_decimal_target(const struct slo_decimal *d);
/* The budget fraction (100*10^scale - mantissa) / 10^(scale+2): 0.001 for 99.9. */
double slo_decimal_budget(const struct slo_decimal *d);
/* The two exact integers behind the ratios: *num = mantissa (good share) and
 * *bad_num = 100*10^scale - mantissa (bad share), both over *den = 10^(scale+2). */
void slo_decimal_parts(const struct slo_decimal *d, int64_t *num, int64_t *bad_num,
		       int64_t *den);

/*
 * Format x in the shortest printf "%.15g".."%.17g" text that reads back as the same
 * double ("14.4", "0.001", "0.9333333333333333", "1296000", "1e+17"); the digits
 * are those jq prints, only very large numbers differ in form (1.2345678901234568e+17
 * where jq writes 123456789012345680).  "null" for NaN and infinities (they never
 * reach a record).  For text and Prometheus output, and for rules.  Returns out.
 */
#define SLO_NUMBER_SIZE 32
char *slo_number_format(double x, char out[SLO_NUMBER_SIZE]);

/*
 * Format a duration as tm_format_duration does but with days as the largest unit, as
 * SLO windows are written: "30d" (not "4w2d"), "28d", "2d1h", "43m12s", "0s",
 * "44m34s800ms"; tm_parse_duration reads it back.  Returns out.
 */
char *slo_duration_format(int64_t ms, char out[TM_DURATION_SIZE]);

/* ---- the definition ------------------------------------------------------------ */

enum slo_method { SLO_OCCURRENCES, SLO_TIMESLICES };

/* "occurrences" / "timeslices" (OpenSLO's names); "?" for an invalid value. */
const char *slo_method_name(enum slo_method m);
/* Parse "occurrences" or "timeslices" into *m; else -1 ("parse"). */
int slo_method_parse(const char *s, enum slo_method *m, struct srerr *e);

#define SLO_DEFAULT_WINDOW_MS INT64_C(2592000000)   /* 30d */
#define SLO_BUCKET_MS INT64_C(60000)                /* occurrences: 1 minute */
#define SLO_MIN_SPAN_MS INT64_C(259200000)          /* 3d: the longest burn window */
/* The most buckets one series may hold (20 bytes each: 80 MB); more is "limit". */
#define SLO_MAX_BUCKETS INT64_C(4000000)

struct slo_def {
	char *name;                    /* owned (free()d by release); NULL: "slo" */
	struct slo_decimal objective;  /* required: mantissa 0 means not set */
	int calendar;                  /* 0 rolling, 1 calendar */
	int64_t window_ms;             /* rolling; default 30d */
	enum tm_period period;         /* calendar; default month */
	struct tm_zone *zone;          /* calendar (required then); owned */
	enum slo_method method;        /* default occurrences */
	int64_t timeslice_ms;          /* timeslices: >= 1s, divides 1 day; default 1m */
	struct slo_decimal slice_objective;  /* timeslices: required */
	uint64_t min_events;           /* default 1; 0 allowed */
};

/* Defaults: no name, no objective, 30d rolling, month/no zone if made calendar,
 * occurrences, timeslice 1m, no slice objective, min_events 1. */
void slo_def_init(struct slo_def *d);
/* Free name and zone; d may be initialised again. */
void slo_def_release(struct slo_def *d);

/*
 * Check that the fields fit together: an objective is set; a rolling window is a
 * positive whole number of buckets ("range": "window '90s' is not a whole number of
 * 1m buckets"); a calendar window has a zone ("zone") and a valid period; timeslices
 * have a timeslice >= 1s that divides 1 day and a slice objective; the ring stays
 * within SLO_MAX_BUCKETS ("limit").  Returns 0 or -1.
 */
int slo_def_check(const struct slo_def *d, struct srerr *e);

/* The bucket width: 60000 (1 minute) for occurrences, the timeslice for timeslices. */
int64_t slo_bucket_ms(const struct slo_def *d);
/*
 * How far back from its newest bucket a series keeps data: max(window, 3d) for
 * rolling windows; for calendar windows the longest such period plus a day (week
 * 8d, month 32d, quarter 93d, year 367d; day 3d).  A multiple of the bucket width
 * for a checked definition.
 */
int64_t slo_span_ms(const struct slo_def *d);

/*
 * The budget period and the SLO window at instant now: rolling, *period_ms is the
 * window and *start = bucket_start(now) - window + bucket (the first whole bucket
 * counted); calendar, the calendar period holding now in the zone (tm_period_bounds):
 * *period_ms its whole length (March 2026 in Europe/Berlin: 743h) and *start its
 * first instant.  Any output pointer may be NULL.  -1 ("range") when now is outside
 * TM_MIN_MS..TM_MAX_MS or the period cannot be computed.
 */
int slo_def_period(const struct slo_def *d, int64_t now, int64_t *period_ms,
		   int64_t *start, struct srerr *e);

#endif
