/*
 * slo-budget's output formats; see output.h.
 *
 * ndjson and json print each record at once.  The other formats read the record's
 * fields back (get/num/str below) and render into a growing buffer, written out in
 * one piece; prometheus and nagios keep the records until the end.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ndjson.h"
#include "output.h"
#include "slo.h"
#include "status.h"
#include "tm.h"
#include "sbuf.h"
#include "banned.h"

#define BAR_WIDTH 10
#define TEXT_COLUMNS 8
#define NAGIOS_SERVICE "SLO-BUDGET"

/* ---- a growing string ----------------------------------------------------------- */

/* ---- reading a record back ------------------------------------------------------------ */

/* The member at a dotted path of rec (borrowed), owned by the caller; invalid if absent. */
static jv get(jv rec, const char *path)
{
	jv cur = jv_copy(rec);

	while (jv_get_kind(cur) == JV_KIND_OBJECT) {
		const char *dot = strchr(path, '.');
		size_t len = dot ? (size_t)(dot - path) : strlen(path);

		cur = jv_object_get(cur, jv_string_sized(path, (int)len));
		if (!dot)
			return cur;
		path = dot + 1;
	}
	jv_free(cur);
	return jv_invalid();
}

static double num(jv rec, const char *path)
{
	jv v = get(rec, path);
	double d = jv_get_kind(v) == JV_KIND_NUMBER ? jv_number_value(v) : NAN;

	jv_free(v);
	return d;
}

/* A string member into out ("" when absent or not a string). */
static const char *str(jv rec, const char *path, char *out, size_t size)
{
	jv v = get(rec, path);

	snprintf(out, size, "%s", jv_get_kind(v) == JV_KIND_STRING ? jv_string_value(v) : "");
	jv_free(v);
	return out;
}

static int is_true(jv rec, const char *path)
{
	jv v = get(rec, path);
	int t = jv_get_kind(v) == JV_KIND_TRUE;

	jv_free(v);
	return t;
}

/* A number as jq prints it. */
static const char *fmt_num(double x, char out[SLO_NUMBER_SIZE])
{
	return slo_number_format(x, out);
}

/* A burn rate for people: three significant digits, but never an exponent ("1000",
   not "1e+03"). */
static const char *fmt_burn(double x, char out[SLO_NUMBER_SIZE])
{
	snprintf(out, SLO_NUMBER_SIZE, fabs(x) >= 1000 ? "%.0f" : "%.3g", x);
	return out;
}

/* ---- states ------------------------------------------------------------------------- */

enum state { ST_OK, ST_WARNING, ST_CRITICAL, ST_UNKNOWN };   /* Nagios' numbering */

static int insufficient(jv rec)
{
	char data[32];

	return strcmp(str(rec, "data", data, sizeof(data)), "insufficient") == 0;
}

static int exhausted(jv rec)
{
	return !insufficient(rec) && num(rec, "budget.consumed_ratio") >= 1;
}

static enum state state_of(jv rec)
{
	char sev[16];

	str(rec, "severity", sev, sizeof(sev));
	if (exhausted(rec) || strcmp(sev, "page") == 0)
		return ST_CRITICAL;
	if (strcmp(sev, "ticket") == 0)
		return ST_WARNING;
	return insufficient(rec) ? ST_UNKNOWN : ST_OK;
}

/* The state words of the text format: "ok", "no data", "TICKET", "EXHAUSTED PAGE". */
static void put_state(struct sbuf *b, jv rec)
{
	char sev[16];

	str(rec, "severity", sev, sizeof(sev));
	if (exhausted(rec))
		sbuf_puts(b, "EXHAUSTED");
	if (strcmp(sev, "page") == 0 || strcmp(sev, "ticket") == 0)
		sbuf_printf(b, "%s%s", b->len ? " " : "", strcmp(sev, "page") == 0 ? "PAGE" : "TICKET");
	if (!b->len)
		sbuf_puts(b, insufficient(rec) ? "no data" : "ok");
}

/* A duration rounded down to its two largest units: "91d17h", "3h12m", "45s". */
static void put_rough_duration(struct sbuf *b, int64_t ms)
{
	static const struct { char unit; int64_t ms; } units[] = {
		{ 'd', 86400000 }, { 'h', 3600000 }, { 'm', 60000 }, { 's', 1000 },
	};
	int shown = 0;

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]) && shown < 2; i++) {
		int64_t n = ms / units[i].ms;

		if (n || shown) {
			if (n)
				sbuf_printf(b, "%lld%c", (long long)n, units[i].unit);
			ms -= n * units[i].ms;
			shown++;
		}
	}
	if (!shown)
		sbuf_puts(b, "0s");
}

/* Text for a line: control characters as '?'; on the nagios line '|' (which starts the
   perfdata) as '/'. */
static void put_clean(struct sbuf *b, const char *s, int nagios)
{
	for (; *s; s++)
		sbuf_putc(b, (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : nagios && *s == '|' ? '/' : *s);
}

/* "api", or "api[https://x]" for a group. */
static void put_name(struct sbuf *b, jv rec, int nagios)
{
	jv name = get(rec, "slo"), group = get(rec, "group");

	put_clean(b, jv_get_kind(name) == JV_KIND_STRING ? jv_string_value(name) : "", nagios);
	if (jv_get_kind(group) == JV_KIND_STRING) {
		sbuf_putc(b, '[');
		put_clean(b, jv_string_value(group), nagios);
		sbuf_putc(b, ']');
	}
	jv_free(name);
	jv_free(group);
}

/* "30d", or the calendar period: "month", "month Europe/Berlin". */
static void put_window(struct sbuf *b, jv rec)
{
	char kind[16], text[64], tz[64];

	if (strcmp(str(rec, "window.kind", kind, sizeof(kind)), "calendar") == 0) {
		sbuf_puts(b, str(rec, "window.period", text, sizeof(text)));
		if (strcmp(str(rec, "window.tz", tz, sizeof(tz)), "UTC") != 0) {
			sbuf_putc(b, ' ');
			sbuf_puts(b, tz);
		}
	} else {
		sbuf_puts(b, str(rec, "window.duration", text, sizeof(text)));
	}
}

/* The time to exhaustion (exhaustion.at - time) into *ms; 0 when there is none. */
static int exhaustion_ms(jv rec, int64_t *ms)
{
	char text[64];
	int64_t at, now;

	if (tm_parse_rfc3339(str(rec, "exhaustion.at", text, sizeof(text)), &at, NULL) != 0 ||
	    tm_parse_rfc3339(str(rec, "time", text, sizeof(text)), &now, NULL) != 0)
		return 0;
	*ms = at - now;
	return 1;
}

/* ---- text ------------------------------------------------------------------------------ */

/* [#####-----]: one '#' per tenth of the budget left, rounded. */
static void put_bar(struct sbuf *b, double remaining_ratio)
{
	double filled = isnan(remaining_ratio) ? 0 : round(remaining_ratio * BAR_WIDTH);

	sbuf_putc(b, '[');
	for (int i = 0; i < BAR_WIDTH; i++)
		sbuf_putc(b, i < filled ? '#' : '-');
	sbuf_putc(b, ']');
}

/* The columns of one status, each its own string (cells[i].p, "" when empty). */
static void text_cells(jv rec, struct sbuf cells[TEXT_COLUMNS])
{
	char n[SLO_NUMBER_SIZE];
	double sli = num(rec, "sli"), rr = num(rec, "budget.remaining_ratio");
	int64_t in_ms;

	put_name(&cells[0], rec, 0);
	sbuf_printf(&cells[1], "%s%%", fmt_num(num(rec, "objective"), n));
	put_window(&cells[2], rec);
	if (isnan(sli))
		sbuf_puts(&cells[3], "SLI -");
	else
		sbuf_printf(&cells[3], "SLI %.3f%%", sli * 100);
	sbuf_puts(&cells[4], "budget ");
	put_bar(&cells[4], rr);
	sbuf_printf(&cells[4], " %.1f%% left", rr * 100);
	sbuf_printf(&cells[5], "burn 1h %s\xc3\x97", fmt_burn(num(rec, "burn_rates.1h"), n));
	/* too few events make the time to exhaustion meaningless: say how few instead */
	if (insufficient(rec)) {
		sbuf_printf(&cells[6], "%s event%s", fmt_num(num(rec, "total"), n),
			  num(rec, "total") == 1 ? "" : "s");
	} else if (!exhausted(rec) && exhaustion_ms(rec, &in_ms)) {
		sbuf_puts(&cells[6], "exhausted in ");
		put_rough_duration(&cells[6], in_ms);
	}
	put_state(&cells[7], rec);
}

/* Display width: UTF-8 code points. */
static size_t width_of(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

struct text_row {
	struct sbuf cells[TEXT_COLUMNS];
	char time[32];
};

/* One line: the cells padded to widths, two blanks apart, no trailing blanks. */
static void text_line(struct sbuf *b, struct text_row *r, const size_t *widths, int color)
{
	enum { LAST = TEXT_COLUMNS - 1 };
	size_t pending = 0;

	if (*r->time) {
		sbuf_puts(b, r->time);
		sbuf_puts(b, "  ");
	}
	for (int i = 0; i < LAST; i++) {
		const char *cell = r->cells[i].p ? r->cells[i].p : "";

		if (!widths[i])
			continue;       /* a column no row uses takes no room */
		if (!*cell) {
			pending += widths[i] + 2;
			continue;
		}
		for (; pending; pending--)
			sbuf_putc(b, ' ');
		sbuf_puts(b, cell);
		pending = widths[i] - width_of(cell) + 2;
	}
	for (; pending; pending--)
		sbuf_putc(b, ' ');
	if (color && strcmp(r->cells[LAST].p, "ok") != 0)
		sbuf_printf(b, "\033[%sm%s\033[0m", strcmp(r->cells[LAST].p, "no data") == 0 ||
			  strcmp(r->cells[LAST].p, "TICKET") == 0 ? "33" : "31", r->cells[LAST].p);
	else
		sbuf_puts(b, r->cells[LAST].p);
	sbuf_putc(b, '\n');
}

static void text_row_release(struct text_row *r)
{
	for (int i = 0; i < TEXT_COLUMNS; i++)
		sbuf_release(&r->cells[i]);
}

/* ---- prometheus ------------------------------------------------------------------------ */

static void put_label_value(struct sbuf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			sbuf_puts(b, "\\\\");
		else if (*s == '"')
			sbuf_puts(b, "\\\"");
		else if (*s == '\n')
			sbuf_puts(b, "\\n");
		else
			sbuf_putc(b, *s);
	}
}

/* METRIC{slo="...",group="..."[,extra]} VALUE */
static void prom_sample(struct sbuf *b, const char *metric, jv rec, const char *extra,
			double value)
{
	char n[SLO_NUMBER_SIZE];
	jv name = get(rec, "slo"), group = get(rec, "group");

	sbuf_puts(b, metric);
	sbuf_puts(b, "{slo=\"");
	put_label_value(b, jv_get_kind(name) == JV_KIND_STRING ? jv_string_value(name) : "");
	if (jv_get_kind(group) == JV_KIND_STRING) {
		sbuf_puts(b, "\",group=\"");
		put_label_value(b, jv_string_value(group));
	}
	jv_free(name);
	jv_free(group);
	sbuf_putc(b, '"');
	if (extra)
		sbuf_printf(b, ",%s", extra);
	sbuf_printf(b, "} %s\n", isnan(value) ? "NaN" : fmt_num(value, n));
}

/* A sample per status: special cases first; the rest read a number at a path. */
static void m_sli(struct sbuf *b, const char *m, jv r, const char *path)
{
	if (!isnan(num(r, path)))
		prom_sample(b, m, r, NULL, num(r, path));   /* no sample while "sli" is null */
}

static void m_sufficient(struct sbuf *b, const char *m, jv r, const char *path)
{
	prom_sample(b, m, r, NULL, !insufficient(r));
}

static void m_exhausted(struct sbuf *b, const char *m, jv r, const char *path)
{
	prom_sample(b, m, r, NULL, exhausted(r));
}

static void m_ok(struct sbuf *b, const char *m, jv r, const char *path)
{
	prom_sample(b, m, r, NULL, is_true(r, path));
}

static void m_seconds(struct sbuf *b, const char *m, jv r, const char *path)
{
	prom_sample(b, m, r, NULL, num(r, path) / 1000);
}

static void m_exhaustion(struct sbuf *b, const char *m, jv r, const char *path)
{
	int64_t ms;

	/* as in text: no time to exhaustion from too few events */
	if (!insufficient(r) && exhaustion_ms(r, &ms))
		prom_sample(b, m, r, NULL, (double)ms / 1000);
}

static void m_burn(struct sbuf *b, const char *m, jv r, const char *path)
{
	char at[64], label[64];

	for (int j = 0; j < SLO_NBURN; j++) {
		snprintf(at, sizeof(at), "%s.%s", path, slo_burn_window_name(j));
		snprintf(label, sizeof(label), "window=\"%s\"", slo_burn_window_name(j));
		prom_sample(b, m, r, label, num(r, at));
	}
}

/* The alerts, firing (1/0) or their threshold (the member named by path). */
static void m_alerts(struct sbuf *b, const char *m, jv r, const char *path)
{
	jv alerts = get(r, "alerts");
	int n = jv_get_kind(alerts) == JV_KIND_ARRAY ? jv_array_length(jv_copy(alerts)) : 0;
	char sev[16], lw[16], sw[16], label[96];

	for (int i = 0; i < n; i++) {
		jv a = jv_array_get(jv_copy(alerts), i);

		snprintf(label, sizeof(label), "severity=\"%s\",long=\"%s\",short=\"%s\"",
			 str(a, "severity", sev, sizeof(sev)), str(a, "long", lw, sizeof(lw)),
			 str(a, "short", sw, sizeof(sw)));
		prom_sample(b, m, r, label, strcmp(path, "firing") == 0 ? is_true(a, path)
									: num(a, path));
		jv_free(a);
	}
	jv_free(alerts);
}

struct family {
	const char *name, *help;
	const char *path;    /* the record member it shows */
	void (*emit)(struct sbuf *b, const char *metric, jv rec, const char *path);  /* or NULL:
				the number at path */
};

static const struct family families[] = {
	{ "slo_budget_objective_ratio", "The SLO's target as a ratio (99.9% is 0.999)", "target",
	  NULL },
	{ "slo_budget_sli_ratio", "Good events over all events in the SLO window", "sli", m_sli },
	{ "slo_budget_good_events", "Good events (timeslices: good slices) in the SLO window",
	  "good", NULL },
	{ "slo_budget_bad_events", "Bad events (timeslices: bad slices) in the SLO window", "bad",
	  NULL },
	{ "slo_budget_events", "All events (timeslices: slices with data) in the SLO window",
	  "total", NULL },
	{ "slo_budget_data_sufficient", "1 when the window has at least --min-events events",
	  "data", m_sufficient },
	{ "slo_budget_remaining_ratio", "Share of the error budget left (negative when overspent)",
	  "budget.remaining_ratio", NULL },
	{ "slo_budget_consumed_ratio", "Share of the error budget consumed",
	  "budget.consumed_ratio", NULL },
	{ "slo_budget_remaining_seconds", "The error budget left, as time at the objective",
	  "budget.remaining_ms", m_seconds },
	{ "slo_budget_exhausted", "1 when the whole error budget is consumed", "budget",
	  m_exhausted },
	{ "slo_budget_burn_rate", "Error rate over the window divided by the budget fraction",
	  "burn_rates", m_burn },
	{ "slo_budget_alert_firing", "1 when the multiwindow burn-rate alert fires", "firing",
	  m_alerts },
	{ "slo_budget_alert_threshold", "Burn rate at which the alert fires, for the SLO period",
	  "threshold", m_alerts },
	{ "slo_budget_exhaustion_seconds", "Time until the budget runs out at the 1h burn rate",
	  "exhaustion", m_exhaustion },
	{ "slo_budget_late_events", "Events dropped as older than the series keeps", "late", NULL },
	{ "slo_budget_ok", "1 unless the budget is exhausted or a page alert fires", "ok", m_ok },
};

static void prom_render(struct sbuf *b, const jv *recs, size_t n)
{
	struct sbuf samples = { 0 };

	for (size_t f = 0; f < sizeof(families) / sizeof(families[0]); f++) {
		samples.len = 0;
		for (size_t i = 0; i < n; i++)
			if (families[f].emit)
				families[f].emit(&samples, families[f].name, recs[i], families[f].path);
			else
				prom_sample(&samples, families[f].name, recs[i], NULL,
					    num(recs[i], families[f].path));
		b->oom |= samples.oom;
		if (!samples.len)
			continue;
		sbuf_printf(b, "# HELP %s %s\n# TYPE %s gauge\n", families[f].name, families[f].help,
			  families[f].name);
		sbuf_add(b, samples.p, samples.len);
	}
	sbuf_release(&samples);
}

/* ---- nagios -------------------------------------------------------------------------- */

static const char *const nagios_words[] = { "OK", "WARNING", "CRITICAL", "UNKNOWN" };

/* CRITICAL > WARNING > UNKNOWN > OK: an UNKNOWN never hides a problem, nor an OK one. */
static int nagios_rank(enum state s)
{
	static const int rank[] = { [ST_OK] = 0, [ST_UNKNOWN] = 1, [ST_WARNING] = 2,
				    [ST_CRITICAL] = 3 };
	return rank[s];
}

/* What one status says on the plugin line. */
static void nagios_describe(struct sbuf *b, jv rec)
{
	char sev[16], n[SLO_NUMBER_SIZE];

	put_name(b, rec, 1);
	sbuf_puts(b, ": ");
	str(rec, "severity", sev, sizeof(sev));
	if (insufficient(rec)) {
		sbuf_printf(b, "insufficient data (%s event%s)", fmt_num(num(rec, "total"), n),
			  num(rec, "total") == 1 ? "" : "s");
		return;
	}
	if (exhausted(rec))
		sbuf_printf(b, "error budget exhausted (%.1f%% consumed)",
			  num(rec, "budget.consumed_ratio") * 100);
	else
		sbuf_printf(b, "%.1f%% of the error budget left",
			  num(rec, "budget.remaining_ratio") * 100);
	if (strcmp(sev, "none") != 0)
		sbuf_printf(b, ", %s alert firing", sev);
	sbuf_printf(b, ", burn rate 1h %s", fmt_burn(num(rec, "burn_rates.1h"), n));
}

/* The page threshold of the 1h alert (the first), for the burn-rate perfdata. */
static double page_threshold(jv rec)
{
	jv alerts = get(rec, "alerts"), first;
	double t;

	if (jv_get_kind(alerts) != JV_KIND_ARRAY || jv_array_length(jv_copy(alerts)) == 0) {
		jv_free(alerts);
		return NAN;
	}
	first = jv_array_get(alerts, 0);
	t = num(first, "threshold");
	jv_free(first);
	return t;
}

/* 'api_budget_remaining'=50%;;0 and friends for one status. */
static void nagios_perfdata(struct sbuf *b, jv rec)
{
	struct sbuf label = { 0 };
	char n[SLO_NUMBER_SIZE], crit[SLO_NUMBER_SIZE];
	double sli = num(rec, "sli");

	put_name(&label, rec, 1);
	for (char *p = label.p; p && *p; p++)
		if (*p == '\'' || *p == '=')
			*p = '_';
	sbuf_printf(b, " '%s_budget_remaining'=%s%%;;0", label.p ? label.p : "",
		  fmt_num(round(num(rec, "budget.remaining_ratio") * 1e6) / 1e4, n));
	if (!isnan(sli))
		sbuf_printf(b, " '%s_sli'=%s%%;;;0;100", label.p ? label.p : "",
			  fmt_num(round(sli * 1e8) / 1e6, n));
	sbuf_printf(b, " '%s_burn_1h'=%s;;%s;0", label.p ? label.p : "",
		  fmt_num(num(rec, "burn_rates.1h"), n), fmt_num(page_threshold(rec), crit));
	sbuf_printf(b, " '%s_events'=%s;;;0", label.p ? label.p : "", fmt_num(num(rec, "total"), n));
	sbuf_release(&label);
}

static void nagios_render(struct sbuf *b, const jv *recs, size_t n, enum state worst)
{
	size_t shown = 0;

	sbuf_printf(b, "%s %s - ", NAGIOS_SERVICE, nagios_words[worst]);
	if (n == 0)
		sbuf_puts(b, "no SLO status");
	/* the worst first, so that the line's start says why */
	for (int r = 3; r >= 0; r--)
		for (size_t i = 0; i < n; i++)
			if (nagios_rank(state_of(recs[i])) == r) {
				if (shown++)
					sbuf_puts(b, "; ");
				nagios_describe(b, recs[i]);
			}
	sbuf_puts(b, " |");
	for (size_t i = 0; i < n; i++)
		nagios_perfdata(b, recs[i]);
	sbuf_putc(b, '\n');
}

/* ---- the output ------------------------------------------------------------------------ */

struct output {
	struct output_opts o;
	struct ndj_writer w;
	jv *kept;                    /* text (batch), prometheus, nagios: every record */
	size_t n, cap;
};

struct output *output_new(const struct output_opts *opts, struct srerr *e)
{
	struct output *o;

	if (opts->streaming && (opts->format == CLI_FMT_PROMETHEUS ||
				opts->format == CLI_FMT_NAGIOS)) {
		srerr_set(e, "usage", "-o %s describes the state at the end: it does not go with "
			  "--follow", cli_format_name(opts->format));
		return NULL;
	}
	if (!(o = calloc(1, sizeof(*o)))) {
		srerr_set(e, "oom", "out of memory");
		return NULL;
	}
	o->o = *opts;
	ndj_writer_init(&o->w, stdout, (opts->format == CLI_FMT_JSON ? NDJ_PRETTY : 0) |
			(opts->streaming ? NDJ_FLUSH : 0));
	return o;
}

void output_free(struct output *o)
{
	if (!o)
		return;
	for (size_t i = 0; i < o->n; i++)
		jv_free(o->kept[i]);
	free(o->kept);
	free(o);
}

static int oom(struct srerr *e)
{
	srerr_set(e, "oom", "out of memory");
	return -1;
}

static void out_write(const char *s, size_t len)
{
	if (len && fwrite(s, 1, len, stdout) != len)
		cli_stdout_failed(errno ? errno : EIO);
}

static int keep(struct output *o, jv record, struct srerr *e)
{
	if (o->n == o->cap) {
		size_t cap = o->cap ? 2 * o->cap : 16;
		jv *v = realloc(o->kept, cap * sizeof(*v));

		if (!v) {
			jv_free(record);
			return oom(e);
		}
		o->kept = v;
		o->cap = cap;
	}
	o->kept[o->n++] = record;
	return 0;
}

/* Text lines for recs, aligned among themselves (streaming: one at a time, with time). */
static int text_print(const struct output *o, const jv *recs, size_t n, struct srerr *e)
{
	struct text_row *rows = calloc(n ? n : 1, sizeof(*rows));
	size_t widths[TEXT_COLUMNS] = { 0 };
	struct sbuf b = { 0 };
	int failed = !rows;

	for (size_t i = 0; rows && i < n; i++) {
		text_cells(recs[i], rows[i].cells);
		if (o->o.streaming)
			str(recs[i], "time", rows[i].time, sizeof(rows[i].time));
		for (int c = 0; c < TEXT_COLUMNS; c++) {
			size_t w = rows[i].cells[c].p ? width_of(rows[i].cells[c].p) : 0;

			failed |= rows[i].cells[c].oom;
			widths[c] = w > widths[c] ? w : widths[c];
		}
	}
	for (size_t i = 0; rows && !failed && i < n; i++)
		text_line(&b, &rows[i], widths, o->o.color);
	for (size_t i = 0; rows && i < n; i++)
		text_row_release(&rows[i]);
	free(rows);
	if (failed || b.oom) {
		sbuf_release(&b);
		return oom(e);
	}
	out_write(b.p ? b.p : "", b.len);
	sbuf_release(&b);
	return 0;
}

int output_status(struct output *o, jv record, struct srerr *e)
{
	int rc;

	if (jv_get_kind(record) != JV_KIND_OBJECT) {
		jv_free(record);
		srerr_set(e, "invalid", "a slo.status record must be a JSON object");
		return -1;
	}
	switch (o->o.format) {
	case CLI_FMT_TEXT:
		if (!o->o.streaming)
			return keep(o, record, e);
		rc = text_print(o, &record, 1, e);
		jv_free(record);
		cli_flush_stdout();
		return rc;
	case CLI_FMT_PROMETHEUS:
	case CLI_FMT_NAGIOS:
		return keep(o, record, e);
	default:
		if (ndj_write(&o->w, record, e) == -1) {
			if (o->w.err)
				cli_stdout_failed(o->w.err);
			return -1;
		}
		return 0;
	}
}

static enum state worst_state(const jv *recs, size_t n)
{
	enum state worst = n ? ST_OK : ST_UNKNOWN;

	for (size_t i = 0; i < n; i++)
		if (nagios_rank(state_of(recs[i])) > nagios_rank(worst))
			worst = state_of(recs[i]);
	return worst;
}

int output_finish(struct output *o, int *nagios_code, struct srerr *e)
{
	struct sbuf b = { 0 };
	int rc = 0;

	if (o->o.format == CLI_FMT_TEXT && o->n)
		rc = text_print(o, o->kept, o->n, e);
	else if (o->o.format == CLI_FMT_PROMETHEUS)
		prom_render(&b, o->kept, o->n);
	else if (o->o.format == CLI_FMT_NAGIOS) {
		enum state worst = worst_state(o->kept, o->n);

		nagios_render(&b, o->kept, o->n, worst);
		*nagios_code = (int)worst;
	}
	if (b.oom)
		rc = oom(e);
	else
		out_write(b.p ? b.p : "", b.len);
	sbuf_release(&b);
	cli_flush_stdout();
	return rc;
}
