#ifndef SLO_BUDGET_STATUS_H
#define SLO_BUDGET_STATUS_H
/*
 * Evaluating one SLO (and group) at an instant: error budget, burn rates, the SRE
 * Workbook's multiwindow multi-burn-rate alerts, time to exhaustion, the slo.status
 * record and the --fail-on conditions.  Pure logic, no I/O.
 *
 * Windows are counted in whole buckets ending with the one holding now: a window of
 * length W covers max(1, floor(W / width)) buckets, the last being now's; a calendar
 * window, the buckets that start at or after the period's start.  Buckets after
 * now's are never counted; events later than now inside now's own bucket are, unless
 * the series was limited with slo_series_set_until(now).  Zero traffic never gives
 * NaN or Inf: every ratio with a zero denominator is defined below.  Evaluating at
 * the series' newest bucket (or a little after it) costs a few steps whatever the
 * window: the series keeps running sums of the windows (see series.h).
 */
#include <stdint.h>
#include <jv.h>

#include "series.h"
#include "slo.h"
#include "srerr.h"

/* ---- burn-rate windows and alert rules (shared with rules.c) ------------------- */

#define SLO_NBURN 7
/* 5m 30m 1h 2h 6h 1d 3d, in this order. */
extern const int64_t slo_burn_windows_ms[SLO_NBURN];
/* "5m", "30m", "1h", "2h", "6h", "1d", "3d"; NULL outside 0..SLO_NBURN-1. */
const char *slo_burn_window_name(int i);

enum slo_severity { SLO_SEV_NONE, SLO_SEV_TICKET, SLO_SEV_PAGE };
/* "none", "ticket", "page". */
const char *slo_severity_name(enum slo_severity s);

#define SLO_NALERTS 4
struct slo_alert_rule {
	enum slo_severity severity;
	int budget_percent;     /* share of the period's budget the long window may burn */
	int64_t long_ms, short_ms;
	int long_burn, short_burn;   /* indexes into slo_burn_windows_ms */
};
/* The Workbook's four: page 2% 1h & 5m, page 5% 6h & 30m, ticket 10% 1d & 2h,
 * ticket 10% 3d & 6h, in this order. */
extern const struct slo_alert_rule slo_alert_rules[SLO_NALERTS];

/*
 * The burn-rate threshold of an alert rescaled for the period:
 * budget_percent/100 * period / long window, as the single division
 * (budget_percent * period_ms) / (100 * long_ms).  30d: 14.4, 6, 3, 1;
 * 28d: 13.44, 5.6, 2.8, 0.9333333333333333.
 */
double slo_alert_threshold(int64_t period_ms, int budget_percent, int64_t long_ms);

/* ---- the status ----------------------------------------------------------------- */

struct slo_alert_state {
	double threshold;
	double burn_long, burn_short;
	int firing;
};

struct slo_status {
	int64_t now;
	int64_t window_start;       /* first instant counted (see slo_def_period) */
	int64_t period_ms;          /* the budget period: rolling window, or the whole
				       calendar period holding now */
	int insufficient;           /* events in the window < min_events */
	/* Events (occurrences) or slices with data (timeslices) in the window. */
	double good, bad, total;
	double events;              /* events in the window, for min_events */
	int has_sli;                /* 0 when total is 0: "sli": null */
	double sli;                 /* good / total */
	double allowed;             /* budget fraction * total */
	double consumed;            /* = bad */
	double remaining;           /* allowed - bad; negative when overspent */
	double consumed_ratio;      /* bad / allowed; 0 when total is 0 */
	double remaining_ratio;     /* 1 - consumed_ratio; 1 when total is 0 */
	int64_t remaining_ms;       /* remaining_ratio * budget * period, >= 0, to the ms */
	double burn[SLO_NBURN];     /* (bad_w / total_w) / budget; 0 when total_w is 0 */
	double burn_events[SLO_NBURN];  /* events in each burn window */
	struct slo_alert_state alerts[SLO_NALERTS];
	enum slo_severity severity; /* the highest firing */
	double exhaustion_burn;     /* the 1h burn rate */
	int has_exhaustion;         /* 0: "at"/"in" null (no burn, or beyond year 9999) */
	int64_t exhaustion_at;      /* now + exhaustion_in_ms */
	int64_t exhaustion_in_ms;   /* 0 when already exhausted */
	uint64_t late;              /* slo_series_late() */
	int exhausted;              /* data ok and consumed_ratio >= 1 */
	int breach;                 /* data ok and sli < target */
	int ok;                     /* insufficient, or neither exhausted nor paging */
};

/*
 * Evaluate d over series s at instant now into *st (fully overwritten).  s may be
 * NULL: a series with no data.  Semantics (design note): allowed = budget * total;
 * remaining = allowed - bad; consumed_ratio = bad / allowed as the single division
 * bad*10^(k+2) / (total*(100*10^k - m)), so 500 bad of 1,000,000 at 99.9 is exactly
 * 0.5; remaining_ratio = (allowed - bad) / allowed likewise; burn rates over
 * 5m..3d; an alert fires when both its burn rates reach the threshold, data is ok
 * and its long window has >= min_events events; exhaustion at the 1h burn rate b:
 * exhausted -> in 0 at now, b == 0 -> none, else in = remaining_ratio * period / b.
 * Timeslices: a bucket with events is one slice, good when its good/total reaches
 * the slice objective; good/bad/total are then slice counts.
 * Returns 0, or -1 ("range") when now is outside TM_MIN_MS..TM_MAX_MS or the
 * calendar period cannot be computed.
 */
int slo_evaluate(const struct slo_def *d, const struct slo_series *s, int64_t now,
		 struct slo_status *st, struct srerr *e);
/*
 * The same evaluation always summing every bucket of the windows instead of asking
 * the series' running sums (slo_series_sums), which slo_evaluate uses when they can
 * tell: the reference the running sums are tested against.  Same results, bit for
 * bit; only slower (a 30d window at 1m reads 43,200 buckets).
 */
int slo_evaluate_full(const struct slo_def *d, const struct slo_series *s, int64_t now,
		      struct slo_status *st, struct srerr *e);

/*
 * The slo.status record of st (made by slo_evaluate with d) as an owned jv object;
 * consumes nothing.  group NULL: no "group" field.  Fields, in order: kind, time,
 * slo, group, objective, target, method, [timeslice, slice_objective], window
 * {kind, duration | period+tz, start, end}, data, good, bad, total, sli, budget
 * {allowed, consumed, remaining, consumed_ratio, remaining_ratio, remaining_time,
 * remaining_ms}, burn_rates {5m..3d}, alerts [{severity, long, short, threshold,
 * burn_long, burn_short, firing} x4], severity, exhaustion {burn_rate, at, in},
 * late, ok.  Callers add their own fields (e.g. "skipped") with jv_object_set.
 */
jv slo_status_record(const struct slo_def *d, const struct slo_status *st,
		     const char *group);

/* ---- --fail-on -------------------------------------------------------------------- */

enum slo_condition { SLO_COND_EXHAUSTED, SLO_COND_PAGE, SLO_COND_TICKET, SLO_COND_BREACH };

/* Parse "exhausted", "page", "ticket" or "breach"; else -1 ("parse": "invalid
 * condition 'x': expected exhausted, page, ticket or breach"). */
int slo_condition_parse(const char *s, enum slo_condition *c, struct srerr *e);
/* The name slo_condition_parse accepts for c; "?" for an invalid value. */
const char *slo_condition_name(enum slo_condition c);
/*
 * 1 when c holds for st: exhausted, st->exhausted; page, severity page; ticket,
 * severity ticket or page; breach, st->breach.  Else 0.
 */
int slo_condition_holds(const struct slo_status *st, enum slo_condition c);

#endif
