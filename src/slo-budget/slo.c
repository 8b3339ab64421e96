/*
 * slo-budget's SLO definition: exact decimal percentages and the window.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slo.h"
#include "banned.h"

static const int64_t pow10_table[] = {
	INT64_C(1), INT64_C(10), INT64_C(100), INT64_C(1000), INT64_C(10000),
	INT64_C(100000), INT64_C(1000000), INT64_C(10000000), INT64_C(100000000),
	INT64_C(1000000000), INT64_C(10000000000), INT64_C(100000000000),
};

static int decimal_error(const char *s, struct srerr *e)
{
	char q[72];

	srerr_shorten(s, q, sizeof(q));
	srerr_set(e, "parse", "invalid percentage '%s': expected a number like 99.9 with at most %d decimals",
		  q, SLO_DECIMAL_MAX_SCALE);
	return -1;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int slo_decimal_parse(const char *s, struct slo_decimal *d, struct srerr *e)
{
	const char *p = s, *ip, *fp = NULL;
	size_t ilen, flen = 0;
	int64_t whole = 0, frac = 0;
	struct slo_decimal out;
	char q[72];

	while (*p == '0' && is_digit(p[1]))
		p++;
	for (ip = p; is_digit(*p); p++)
		;
	ilen = (size_t)(p - ip);
	if (ilen == 0)
		return decimal_error(s, e);
	if (*p == '.') {
		for (fp = ++p; is_digit(*p); p++)
			;
		flen = (size_t)(p - fp);
		if (flen == 0 || flen > SLO_DECIMAL_MAX_SCALE)
			return decimal_error(s, e);
	}
	if (*p != '\0')
		return decimal_error(s, e);
	for (size_t i = 0; i < ilen && i < 3; i++)
		whole = whole * 10 + (ip[i] - '0');
	for (size_t i = 0; i < flen; i++)
		frac = frac * 10 + (fp[i] - '0');
	out.scale = (int)flen;
	out.mantissa = whole * pow10_table[flen] + frac;
	if (ilen > 2 || out.mantissa <= 0) {
		srerr_shorten(s, q, sizeof(q));
		srerr_set(e, "range", "percentage '%s' out of range: expected more than 0 and less than 100", q);
		return -1;
	}
	snprintf(out.text, sizeof(out.text), "%.*s%s%.*s", (int)ilen, ip, flen ? "." : "",
		 (int)flen, flen ? fp : "");
	*d = out;
	return 0;
}

double slo_decimal_value(const struct slo_decimal *d)
{
	return (double)d->mantissa / (double)pow10_table[d->scale];
}

void slo_decimal_parts(const struct slo_decimal *d, int64_t *num, int64_t *bad_num,
		       int64_t *den)
{
	*num = d->mantissa;
	*bad_num = 100 * pow10_table[d->scale] - d->mantissa;
	*den = pow10_table[d->scale + 2];
}

double slo_decimal_target(const struct slo_decimal *d)
{
	int64_t num, bad, den;

	slo_decimal_parts(d, &num, &bad, &den);
	return (double)num / (double)den;
}

double slo_decimal_budget(const struct slo_decimal *d)
{
	int64_t num, bad, den;

	slo_decimal_parts(d, &num, &bad, &den);
	return (double)bad / (double)den;
}

char *slo_number_format(double x, char out[SLO_NUMBER_SIZE])
{
	if (!isfinite(x)) {
		snprintf(out, SLO_NUMBER_SIZE, "null");
		return out;
	}
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(out, SLO_NUMBER_SIZE, "%.*g", prec, x);
		if (strtod(out, NULL) == x)
			break;
	}
	return out;
}

char *slo_duration_format(int64_t ms, char out[TM_DURATION_SIZE])
{
	const int64_t day = 86400000;
	char rest[TM_DURATION_SIZE];
	int64_t days;

	if (ms < 0) {
		/* no caller formats negative durations; keep tm's form for them */
		return tm_format_duration(ms, out);
	}
	days = ms / day;
	if (days == 0)
		return tm_format_duration(ms, out);
	if (ms % day == 0)
		snprintf(out, TM_DURATION_SIZE, "%" PRId64 "d", days);
	else
		snprintf(out, TM_DURATION_SIZE, "%" PRId64 "d%s", days,
			 tm_format_duration(ms % day, rest));
	return out;
}

/* ---- methods -------------------------------------------------------------------- */

const char *slo_method_name(enum slo_method m)
{
	switch (m) {
	case SLO_OCCURRENCES:
		return "occurrences";
	case SLO_TIMESLICES:
		return "timeslices";
	}
	return "?";
}

int slo_method_parse(const char *s, enum slo_method *m, struct srerr *e)
{
	char q[72];

	if (!strcmp(s, "occurrences")) {
		*m = SLO_OCCURRENCES;
		return 0;
	}
	if (!strcmp(s, "timeslices")) {
		*m = SLO_TIMESLICES;
		return 0;
	}
	srerr_shorten(s, q, sizeof(q));
	srerr_set(e, "parse", "invalid method '%s': expected occurrences or timeslices", q);
	return -1;
}

/* ---- the definition ------------------------------------------------------------ */

void slo_def_init(struct slo_def *d)
{
	memset(d, 0, sizeof(*d));
	d->window_ms = SLO_DEFAULT_WINDOW_MS;
	d->period = TM_PERIOD_MONTH;
	d->method = SLO_OCCURRENCES;
	d->timeslice_ms = SLO_BUCKET_MS;
	d->min_events = 1;
}

void slo_def_release(struct slo_def *d)
{
	free(d->name);
	d->name = NULL;
	tm_zone_free(d->zone);
	d->zone = NULL;
}

int64_t slo_bucket_ms(const struct slo_def *d)
{
	return d->method == SLO_TIMESLICES ? d->timeslice_ms : SLO_BUCKET_MS;
}

/* The longest calendar period of kind p plus a day for DST and zone changes. */
static int64_t calendar_span_days(enum tm_period p)
{
	switch (p) {
	case TM_PERIOD_DAY:
		return 2;
	case TM_PERIOD_WEEK:
		return 8;
	case TM_PERIOD_MONTH:
		return 32;
	case TM_PERIOD_QUARTER:
		return 93;
	case TM_PERIOD_YEAR:
		return 367;
	}
	return -1;
}

int64_t slo_span_ms(const struct slo_def *d)
{
	int64_t span = d->calendar ? calendar_span_days(d->period) * 86400000 : d->window_ms;

	return span > SLO_MIN_SPAN_MS ? span : SLO_MIN_SPAN_MS;
}

static int check_timeslices(const struct slo_def *d, struct srerr *e)
{
	char dur[TM_DURATION_SIZE];

	if (d->timeslice_ms < 1000 || 86400000 % d->timeslice_ms != 0) {
		srerr_set(e, "range", "invalid timeslice '%s': expected at least 1s and a divisor of 1d",
			  slo_duration_format(d->timeslice_ms, dur));
		return -1;
	}
	if (d->slice_objective.mantissa <= 0) {
		srerr_set(e, "range", "missing slice objective: timeslices need one, like 95");
		return -1;
	}
	return 0;
}

static int check_window(const struct slo_def *d, int64_t width, struct srerr *e)
{
	char win[TM_DURATION_SIZE], w[TM_DURATION_SIZE];

	if (d->calendar) {
		if (calendar_span_days(d->period) < 0) {
			srerr_set(e, "range", "invalid calendar period %d", (int)d->period);
			return -1;
		}
		if (!d->zone) {
			srerr_set(e, "zone", "a calendar window needs a time zone");
			return -1;
		}
		return 0;
	}
	if (d->window_ms <= 0 || d->window_ms > TM_DURATION_MAX_MS ||
	    d->window_ms % width != 0) {
		srerr_set(e, "range", "window '%s' is not a whole number of %s buckets",
			  slo_duration_format(d->window_ms, win), slo_duration_format(width, w));
		return -1;
	}
	return 0;
}

int slo_def_check(const struct slo_def *d, struct srerr *e)
{
	int64_t width = slo_bucket_ms(d);
	char span[TM_DURATION_SIZE], w[TM_DURATION_SIZE];

	if (d->objective.mantissa <= 0) {
		srerr_set(e, "range", "missing objective: expected a percentage like 99.9");
		return -1;
	}
	if (d->method != SLO_OCCURRENCES && d->method != SLO_TIMESLICES) {
		srerr_set(e, "range", "invalid method %d", (int)d->method);
		return -1;
	}
	if (d->method == SLO_TIMESLICES && check_timeslices(d, e) != 0)
		return -1;
	if (check_window(d, width, e) != 0)
		return -1;
	if (slo_span_ms(d) / width > SLO_MAX_BUCKETS) {
		srerr_set(e, "limit", "a window of %s in %s buckets needs more than %" PRId64 " buckets",
			  slo_duration_format(slo_span_ms(d), span),
			  slo_duration_format(width, w), SLO_MAX_BUCKETS);
		return -1;
	}
	return 0;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int slo_def_period(const struct slo_def *d, int64_t now, int64_t *period_ms,
		   int64_t *start, struct srerr *e)
{
	int64_t width = slo_bucket_ms(d), s, end;

	if (now < TM_MIN_MS || now > TM_MAX_MS) {
		srerr_set(e, "range", "time %" PRId64 " ms is outside years 0000-9999", now);
		return -1;
	}
	if (!d->calendar) {
		s = floor_div(now, width) * width - d->window_ms + width;
		end = s + d->window_ms;
	} else if (!d->zone) {
		srerr_set(e, "zone", "a calendar window needs a time zone");
		return -1;
	} else if (tm_period_bounds(d->zone, d->period, now, &s, &end, e) != 0) {
		return -1;
	}
	if (period_ms)
		*period_ms = end - s;
	if (start)
		*start = s;
	return 0;
}
