/* `slo-budget rules`: Prometheus recording and alerting rules for one SLO (see rules.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules.h"
#include "slo.h"
#include "status.h"
#include "tm.h"
#include "banned.h"

#define DAY_MS INT64_C(86400000)
#define NAME_DEFAULT "slo"

struct out {
	char *s;
	size_t len, cap;
	int oom;
};

static void add(struct out *o, const char *s, size_t n)
{
	if (o->oom)
		return;
	if (o->len + n + 1 > o->cap) {
		size_t cap = o->cap ? o->cap : 4096;
		char *p;

		while (cap < o->len + n + 1)
			cap *= 2;
		if (!(p = realloc(o->s, cap))) {
			o->oom = 1;
			return;
		}
		o->s = p;
		o->cap = cap;
	}
	memcpy(o->s + o->len, s, n);
	o->len += n;
	o->s[o->len] = '\0';
}

static void put(struct out *o, const char *s)
{
	add(o, s, strlen(s));
}

static void putf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void putf(struct out *o, const char *fmt, ...)
{
	char small[512], *big = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		o->oom = 1;
		return;
	}
	if ((size_t)n < sizeof(small)) {
		add(o, small, (size_t)n);
		return;
	}
	if (!(big = malloc((size_t)n + 1))) {
		o->oom = 1;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	add(o, big, (size_t)n);
	free(big);
}

/* s as a YAML double-quoted scalar: JSON's escapes, which YAML's double quotes share. */
static void yaml_str(struct out *o, const char *s)
{
	char esc[8];

	put(o, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			add(o, esc, 2);
		} else if (c == '\n') {
			put(o, "\\n");
		} else if (c == '\t') {
			put(o, "\\t");
		} else if (c < 0x20 || c == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			put(o, esc);
		} else {
			add(o, (const char *)&c, 1);
		}
	}
	put(o, "\"");
}

/* An expression: a literal block scalar when that shows it as written (one line, no
   control characters, no surrounding whitespace), else a double-quoted scalar. */
static void yaml_expr(struct out *o, const char *expr, const char *indent)
{
	const char *p;
	size_t n = strlen(expr);
	int plain = n > 0 && expr[0] != ' ' && expr[n - 1] != ' ';

	for (p = expr; *p && plain; p++)
		plain = (unsigned char)*p >= 0x20 && *p != 0x7f;
	if (!plain) {
		yaml_str(o, expr);
		return;
	}
	putf(o, "|-\n%s", indent);
	put(o, expr);
}

/* A PromQL string literal for a label value (the name has no control characters). */
static char *promql_str(const char *s)
{
	struct out o = { 0 };

	put(&o, "\"");
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			put(&o, "\\");
		add(&o, s, 1);
	}
	put(&o, "\"");
	if (o.oom) {
		free(o.s);
		return NULL;
	}
	return o.s;
}

/* A window as sloth writes it in names and ranges: whole days as "30d" and "28d"
   (never "4w"), anything else in the canonical duration form ("1h30m"). */
static void window_name(int64_t ms, char out[TM_DURATION_SIZE])
{
	if (ms % DAY_MS == 0)
		snprintf(out, TM_DURATION_SIZE, "%" PRId64 "d", ms / DAY_MS);
	else
		tm_format_duration(ms, out);
}

/* num/den (den a power of ten, 0 < num < den) as an exact decimal: "0.999", "0.0005". */
static void exact_ratio(int64_t num, int64_t den, char *out, size_t size)
{
	char digits[24];
	int width = 0, n;
	int64_t d;

	for (d = den; d > 1; d /= 10)
		width++;
	snprintf(digits, sizeof(digits), "%0*" PRId64, width, num);
	n = (int)strlen(digits);
	while (n > 1 && digits[n - 1] == '0')
		digits[--n] = '\0';
	snprintf(out, size, "0.%s", digits);
}

/* The query over window w: {{.window}} put in, or sum(rate(QUERY[w])). */
static void query_at(struct out *o, const char *q, const char *w)
{
	const char *forms[] = { "{{.window}}", "{{ .window }}" };
	const char *p = q, *hit, *best;
	size_t i, n = 0;

	if (!strstr(q, forms[0]) && !strstr(q, forms[1])) {
		putf(o, "sum(rate(%s[%s]))", q, w);
		return;
	}
	for (;;) {
		best = NULL;
		for (i = 0; i < 2; i++)
			if ((hit = strstr(p, forms[i])) && (!best || hit < best)) {
				best = hit;
				n = strlen(forms[i]);
			}
		if (!best)
			break;
		add(o, p, (size_t)(best - p));
		put(o, w);
		p = best + n;
	}
	put(o, p);
}

struct ctx {
	struct out *o;
	const struct slo_def *d;
	const char *name;        /* the SLO's name */
	char *sel;               /* {slo="NAME"} */
	const char *good, *total, *bad;
	char budget[32], target[32], period[TM_DURATION_SIZE];
};

/* A label line "          key: "value"". */
static void label(struct ctx *c, const char *indent, const char *key, const char *value)
{
	putf(c->o, "%s%s: ", indent, key);
	yaml_str(c->o, value);
	put(c->o, "\n");
}

static void group_header(struct ctx *c, const char *kind)
{
	char *name = NULL;

	if (asprintf(&name, "slo-budget-%s-%s", c->name, kind) < 0) {
		c->o->oom = 1;
		return;
	}
	put(c->o, "  - name: ");
	yaml_str(c->o, name);
	put(c->o, "\n    rules:\n");
	free(name);
}

static void sli_rule(struct ctx *c, const char *w)
{
	struct out expr = { 0 };

	if (c->bad) {
		put(&expr, "(");
		query_at(&expr, c->bad, w);
	} else {
		put(&expr, "1 - ((");
		query_at(&expr, c->good, w);
	}
	put(&expr, ") / (");
	query_at(&expr, c->total, w);
	put(&expr, c->bad ? ")" : "))");
	putf(c->o, "      - record: \"slo:sli_error:ratio_rate%s\"\n        expr: ", w);
	yaml_expr(c->o, expr.oom ? "" : expr.s, "          ");
	c->o->oom |= expr.oom;
	free(expr.s);
	put(c->o, "\n        labels:\n");
	label(c, "          ", "slo", c->name);
	label(c, "          ", "slo_window", w);
}

static void sli_group(struct ctx *c)
{
	int i, period_done = 0;

	group_header(c, "sli-recordings");
	for (i = 0; i < SLO_NBURN; i++) {
		sli_rule(c, slo_burn_window_name(i));
		period_done |= !strcmp(slo_burn_window_name(i), c->period);
	}
	if (!period_done)
		sli_rule(c, c->period);
}

/* A record with the SLO's label; expr is printf-formatted. */
static void meta_rule(struct ctx *c, const char *record, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void meta_rule(struct ctx *c, const char *record, const char *fmt, ...)
{
	char *expr = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&expr, fmt, ap);
	va_end(ap);
	if (n < 0) {
		c->o->oom = 1;
		return;
	}
	putf(c->o, "      - record: \"%s\"\n        expr: ", record);
	yaml_expr(c->o, expr, "          ");
	free(expr);
	put(c->o, "\n        labels:\n");
	label(c, "          ", "slo", c->name);
}

static void meta_group(struct ctx *c)
{
	char days[SLO_NUMBER_SIZE];
	const char *s = c->sel;

	group_header(c, "meta-recordings");
	meta_rule(c, "slo:objective:ratio", "vector(%s)", c->target);
	meta_rule(c, "slo:error_budget:ratio", "vector(%s)", c->budget);
	meta_rule(c, "slo:time_period:days", "vector(%s)",
		  slo_number_format((double)c->d->window_ms / (double)DAY_MS, days));
	meta_rule(c, "slo:current_burn_rate:ratio", "slo:sli_error:ratio_rate5m%s / on(slo) "
		  "group_left slo:error_budget:ratio%s", s, s);
	meta_rule(c, "slo:period_burn_rate:ratio", "slo:sli_error:ratio_rate%s%s / on(slo) "
		  "group_left slo:error_budget:ratio%s", c->period, s, s);
	meta_rule(c, "slo:period_error_budget_remaining:ratio",
		  "1 - slo:period_burn_rate:ratio%s", s);
}

static void alert_rule(struct ctx *c, const struct slo_alert_rule *r)
{
	const char *lw = slo_burn_window_name(r->long_burn), *sw = slo_burn_window_name(r->short_burn);
	const char *sev = slo_severity_name(r->severity);
	char th[SLO_NUMBER_SIZE];
	struct out expr = { 0 }, text = { 0 };

	slo_number_format(slo_alert_threshold(c->d->window_ms, r->budget_percent, r->long_ms), th);
	/* max without (slo_window): the two windows' series then match, and the alert
	   carries the SLO's labels (and any group labels) but no window of its own */
	putf(&expr, "max without (slo_window) (slo:sli_error:ratio_rate%s%s >= (%s * %s)) and "
	     "max without (slo_window) (slo:sli_error:ratio_rate%s%s >= (%s * %s))", lw, c->sel,
	     th, c->budget, sw, c->sel, th, c->budget);
	put(c->o, "      - alert: \"SLOErrorBudgetBurn\"\n        expr: ");
	yaml_expr(c->o, expr.oom ? "" : expr.s, "          ");
	c->o->oom |= expr.oom;
	free(expr.s);
	put(c->o, "\n        labels:\n");
	label(c, "          ", "severity", sev);
	label(c, "          ", "slo", c->name);
	label(c, "          ", "long_window", lw);
	label(c, "          ", "short_window", sw);
	put(c->o, "        annotations:\n");
	putf(&text, "SLO %s burns its error budget at %s times the sustainable rate or more "
	     "over %s and %s", c->name, th, lw, sw);
	label(c, "          ", "summary", text.oom ? "" : text.s);
	text.len = 0;
	putf(&text, "At this rate %d%% of the %s error budget is spent in %s (objective %s%%)",
	     r->budget_percent, c->period, lw, c->d->objective.text);
	label(c, "          ", "description", text.oom ? "" : text.s);
	c->o->oom |= text.oom;
	free(text.s);
}

static void alert_group(struct ctx *c)
{
	int i;

	group_header(c, "alerts");
	for (i = 0; i < SLO_NALERTS; i++)
		alert_rule(c, &slo_alert_rules[i]);
}

static int usable_text(const char *s)
{
	if (!s || !*s)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

static int check_args(const struct slo_def *d, const char *name, const char *good_q,
		      const char *total_q, const char *bad_q, struct srerr *e)
{
	if (d->calendar) {
		srerr_set(e, "usage", "rules need a rolling window (--window): Prometheus cannot "
			  "evaluate calendar periods");
	} else if (d->method != SLO_OCCURRENCES) {
		srerr_set(e, "usage", "rules support the occurrences method only");
	} else if (!d->objective.mantissa || d->window_ms <= 0) {
		srerr_set(e, "usage", "rules need an objective and a window");
	} else if (!usable_text(name)) {
		srerr_set(e, "usage", "invalid SLO name for rules: empty or with a control character");
	} else if (!total_q || !*total_q || !good_q == !bad_q || !*(good_q ? good_q : bad_q)) {
		srerr_set(e, "usage", "rules need a total query and exactly one of a good query "
			  "and a bad query");
	} else {
		return 0;
	}
	return -1;
}

static int emit(FILE *fp, const struct out *o, struct srerr *e)
{
	if (fwrite(o->s, 1, o->len, fp) != o->len || fflush(fp) != 0 || ferror(fp)) {
		srerr_set(e, "io", "cannot write the rules: %s", strerror(errno ? errno : EIO));
		return -1;
	}
	return 0;
}

int rules_write(FILE *fp, const struct slo_def *d, const char *good_q, const char *total_q,
		const char *bad_q, struct srerr *e)
{
	struct out o = { 0 };
	struct ctx c = { .o = &o, .d = d, .good = good_q, .total = total_q, .bad = bad_q };
	int64_t num, bad_num, den;
	int rc = -1;

	c.name = d->name ? d->name : NAME_DEFAULT;
	if (check_args(d, c.name, good_q, total_q, bad_q, e) < 0)
		return -1;
	slo_decimal_parts(&d->objective, &num, &bad_num, &den);
	exact_ratio(num, den, c.target, sizeof(c.target));
	exact_ratio(bad_num, den, c.budget, sizeof(c.budget));
	window_name(d->window_ms, c.period);
	if (!(c.sel = promql_str(c.name)))
		goto oom;
	{
		char *sel = malloc(strlen(c.sel) + 8);
		if (!sel)
			goto oom;
		snprintf(sel, strlen(c.sel) + 8, "{slo=%s}", c.sel);
		free(c.sel);
		c.sel = sel;
	}
	put(&o, "# Prometheus rules for SLO ");
	yaml_str(&o, c.name);
	putf(&o, ": %s%% over %s (slo-budget rules)\ngroups:\n", d->objective.text, c.period);
	sli_group(&c);
	meta_group(&c);
	alert_group(&c);
	if (o.oom)
		goto oom;
	errno = 0;
	rc = emit(fp, &o, e);
	goto out;
oom:
	srerr_set(e, "oom", "out of memory");
out:
	free(c.sel);
	free(o.s);
	return rc;
}
