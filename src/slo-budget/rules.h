#ifndef SLO_BUDGET_RULES_H
#define SLO_BUDGET_RULES_H
/*
 * `slo-budget rules`: the Prometheus rule file for one SLO, the rules sloth would
 * generate, accepted by `promtool check rules`:
 *
 *  - recording rules slo:sli_error:ratio_rate5m, _rate30m, _rate1h, _rate2h, _rate6h,
 *    _rate1d, _rate3d and _rate<PERIOD> (e.g. _rate30d): the error ratio over that
 *    window, event-weighted (bad events over all events in the window), labelled
 *    slo="NAME" and slo_window="5m";
 *  - metadata: slo:objective:ratio, slo:error_budget:ratio (the exact decimals of the
 *    objective: 0.999 and 0.001), slo:time_period:days, slo:current_burn_rate:ratio
 *    (5m), slo:period_burn_rate:ratio and slo:period_error_budget_remaining:ratio;
 *  - four alerting rules, SLOErrorBudgetBurn, one per multiwindow pair of the SRE
 *    Workbook: page 1h & 5m, page 6h & 30m, ticket 1d & 2h, ticket 3d & 6h, firing
 *    when the error ratio over both windows is >= threshold x error budget, with the
 *    thresholds rescaled for the SLO period (budget percent / 100 x period / long
 *    window: 30d gives 14.4, 6, 3, 1; 28d gives 13.44, 5.6, 2.8, 0.9333333333333333),
 *    labelled severity, slo, long_window and short_window (the windows and
 *    thresholds are status.h's slo_alert_rules and slo_alert_threshold, the ones the
 *    slo.status record uses).
 *
 * Queries are those of `slo-budget --prometheus`: with {{.window}} they are used as
 * written with the window put in; otherwise they are counter selectors, used as
 * sum(rate(QUERY[WINDOW])).  The SLI is 1 - good/total (good query) or bad/total.
 * Every string is written as a YAML double-quoted scalar, so any name or query is safe.
 */
#include <stdio.h>

#include "srerr.h"

struct slo_def;

/*
 * Write the rule file for d (rolling windows only: Prometheus cannot evaluate calendar
 * periods) to fp.  Exactly one of good_q and bad_q, and total_q, are set.  The SLO's
 * name (d->name; "slo" when NULL, as in slo.h) must be non-empty, without control
 * characters.
 * Returns 0, or -1 and e: code "usage" (a calendar SLO, a missing or bad query or
 * name), "io" (writing failed), "oom".
 */
int rules_write(FILE *fp, const struct slo_def *d, const char *good_q, const char *total_q,
		const char *bad_q, struct srerr *e);

#endif
