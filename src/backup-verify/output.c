/*
 * backup-verify's standard output; see output.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ndjson.h"
#include "output.h"
#include "progress.h"
#include "tm.h"
#include "banned.h"

#define DETAIL_MAX 600

/* A problem kept for the text lines. */
struct kept {
	char *path;       /* NULL: the backup as a whole */
	char *code;
	char *detail;
	int printed;
};

struct bv_output {
	enum cli_format format;
	struct ndj_writer w;
	struct kept *v;
	size_t n, cap;
};

struct bv_output *bv_output_new(enum cli_format format)
{
	struct bv_output *o = calloc(1, sizeof(*o));

	if (!o)
		return NULL;
	o->format = format;
	ndj_writer_init(&o->w, stdout, format == CLI_FMT_JSON ? NDJ_PRETTY : 0);
	return o;
}

static void forget_kept(struct bv_output *o)
{
	for (size_t i = 0; i < o->n; i++) {
		free(o->v[i].path);
		free(o->v[i].code);
		free(o->v[i].detail);
	}
	o->n = 0;
}

void bv_output_free(struct bv_output *o)
{
	if (!o)
		return;
	forget_kept(o);
	free(o->v);
	free(o);
}

/* ---- writing ------------------------------------------------------------------------ */

static void put(const char *s, size_t len)
{
	if (len && fwrite(s, 1, len, stdout) != len)
		cli_stdout_failed(errno ? errno : EIO);
}

static void puts_out(const char *s)
{
	put(s, strlen(s));
}

static void write_record(struct bv_output *o, jv rec)
{
	struct srerr e;

	if (ndj_write(&o->w, rec, &e) == -1)
		cli_stdout_failed(o->w.err ? o->w.err : EIO);
}

/* ---- text pieces ------------------------------------------------------------------------ */

char *bv_text_escape(const char *path, int *escaped)
{
	size_t len = strlen(path), extra = 0;
	char *out, *q;

	/* sha256sum -c (coreutils 9.1) escapes a name only when it holds a newline */
	*escaped = strchr(path, '\n') != NULL;
	for (const char *p = path; *escaped && *p; p++)
		extra += *p == '\\' || *p == '\n' || *p == '\r';
	if (!(out = malloc(len + extra + 1)))
		return NULL;
	q = out;
	for (const char *p = path; *p; p++) {
		if (*escaped && (*p == '\\' || *p == '\n' || *p == '\r')) {
			*q++ = '\\';
			*q++ = *p == '\\' ? '\\' : *p == '\n' ? 'n' : 'r';
		} else {
			*q++ = *p;
		}
	}
	*q = '\0';
	return out;
}

static int is_diff(const char *code)
{
	static const char *const diffs[] = { "missing", "extra", "changed_size", "changed_hash",
					     "changed_mode", "changed_type", "changed_link" };

	if (strncmp(code, "restore_", 8) == 0)
		code += 8;
	for (size_t i = 0; i < sizeof(diffs) / sizeof(diffs[0]); i++)
		if (strcmp(code, diffs[i]) == 0)
			return 1;
	return 0;
}

static void diff_detail(char *buf, size_t size, const struct bv_problem *p)
{
	const char *c = strncmp(p->code, "restore_", 8) == 0 ? p->code + 8 : p->code;
	const char *x = p->expected ? p->expected : "?", *a = p->actual ? p->actual : "?";

	buf[0] = '\0';
	if (strcmp(c, "changed_size") == 0)
		snprintf(buf, size, "size %s, expected %s", a, x);
	else if (strcmp(c, "changed_mode") == 0)
		snprintf(buf, size, "mode %s, expected %s", a, x);
	else if (strcmp(c, "changed_type") == 0)
		snprintf(buf, size, "%s, expected %s", a, x);
	else if (strcmp(c, "changed_link") == 0)
		snprintf(buf, size, "link target '%s', expected '%s'", a, x);
}

/* s without the prefix pre (when it starts with it). */
static const char *skip_prefix(const char *s, const char *pre)
{
	size_t n = strlen(pre);

	return strncmp(s, pre, n) == 0 ? s + n : s;
}

void bv_text_detail(char *buf, size_t size, const struct bv_problem *p, const char *backup)
{
	char quoted[DETAIL_MAX];
	const char *m;

	if (is_diff(p->code)) {
		diff_detail(buf, size, p);
		return;
	}
	m = p->message ? p->message : "";
	/* read errors say "'BACKUP': CODE: ..."; the line names both already */
	snprintf(quoted, sizeof(quoted), "'%s': ", backup);
	m = skip_prefix(m, quoted);
	snprintf(quoted, sizeof(quoted), "%s: ", p->code);
	m = skip_prefix(m, quoted);
	snprintf(buf, size, "%s", m);
}

static void text_line(const char *path, const char *state, const char *detail)
{
	int escaped = 0;
	char *shown = bv_text_escape(path, &escaped);

	if (!shown) {
		cli_error("out of memory");
		exit(CLI_TROUBLE);
	}
	if (escaped)
		puts_out("\\");
	puts_out(shown);
	puts_out(": ");
	puts_out(state);
	if (detail && *detail) {
		puts_out(": ");
		puts_out(detail);
	}
	puts_out("\n");
	free(shown);
}

static void print_failed(struct kept *k, const char *backup)
{
	char state[64];

	snprintf(state, sizeof(state), "FAILED %s", k->code);
	text_line(k->path ? k->path : backup, state, k->detail);
	k->printed = 1;
}

/* ---- problems ---------------------------------------------------------------------------- */

static char *dup_or_null(const char *s, int *oom)
{
	char *d;

	if (!s)
		return NULL;
	if (!(d = strdup(s)))
		*oom = 1;
	return d;
}

static void keep_problem(struct bv_output *o, const struct bv_report *r,
			 const struct bv_problem *p)
{
	char detail[DETAIL_MAX];
	struct kept k = { 0 };
	int oom = 0;

	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 64;
		struct kept *v = realloc(o->v, cap * sizeof(*v));

		if (!v)
			goto oom;
		o->v = v;
		o->cap = cap;
	}
	bv_text_detail(detail, sizeof(detail), p, r->path);
	k.path = dup_or_null(p->path, &oom);
	k.code = dup_or_null(p->code, &oom);
	k.detail = dup_or_null(detail, &oom);
	o->v[o->n++] = k;
	if (!oom)
		return;
oom:
	cli_error("out of memory");
	exit(CLI_TROUBLE);
}

void bv_output_problem(struct bv_output *o, const struct bv_report *r,
		       const struct bv_problem *p)
{
	if (o->format == CLI_FMT_TEXT)
		keep_problem(o, r, p);
	else
		write_record(o, bv_problem_record(r->name, r->path, p, tm_now_ms()));
}

/* ---- the text report ------------------------------------------------------------------- */

static int by_path(const void *a, const void *b)
{
	const struct kept *x = *(const struct kept *const *)a, *y = *(const struct kept *const *)b;
	int c;

	if (!x->path || !y->path)
		return !x->path - !y->path;
	c = strcmp(x->path, y->path);
	/* equal paths keep the order they were found in */
	return c ? c : (x < y ? -1 : x > y);
}

/* The first kept problem of path in the sorted index, or NULL. */
static struct kept **find_first(struct kept **index, size_t n, const char *path)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (index[mid]->path && strcmp(index[mid]->path, path) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && index[lo]->path && strcmp(index[lo]->path, path) == 0 ? &index[lo]
									       : NULL;
}

static int ignored(struct rx *ignore, const char *path)
{
	return ignore && rx_match(ignore, path, strlen(path), NULL) == 1;
}

/* The manifest's entries in order: OK, or the FAILED lines of their problems. */
static void manifest_lines(struct bv_output *o, const struct bv_report *r,
			   const struct bv_manifest *m, struct rx *ignore)
{
	struct kept **index = malloc((o->n ? o->n : 1) * sizeof(*index));

	if (!index) {
		cli_error("out of memory");
		exit(CLI_TROUBLE);
	}
	for (size_t i = 0; i < o->n; i++)
		index[i] = &o->v[i];
	qsort(index, o->n, sizeof(*index), by_path);
	for (size_t i = 0; i < m->n; i++) {
		const struct bv_entry *ent = &m->v[i];
		struct kept **k = find_first(index, o->n, ent->path);

		if (strcmp(ent->path, ".") == 0 || ignored(ignore, ent->path))
			continue;
		if (!k) {
			text_line(ent->path, "OK", NULL);
			continue;
		}
		for (; k < index + o->n && (*k)->path && strcmp((*k)->path, ent->path) == 0; k++)
			if (!(*k)->printed)
				print_failed(*k, r->path);
	}
	free(index);
}

static void summary_counts(char *buf, size_t size, const struct bv_report *r)
{
	size_t used = (size_t)snprintf(buf, size, "%" PRIu64 " problem%s (", r->nproblems,
				       r->nproblems == 1 ? "" : "s");

	for (size_t i = 0; i < r->ncodes && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used, "%s%s %" PRIu64,
					 i ? ", " : "", r->counts[i].code, r->counts[i].n);
	if (used < size)
		snprintf(buf + used, size - used, ")");
}

static void summary_facts(char *buf, size_t size, const struct bv_report *r)
{
	char bytes[32], age[TM_DURATION_SIZE], kind[96] = "";
	size_t used;

	bv_human_bytes(bytes, sizeof(bytes), (double)r->bytes);
	if (r->format[0]) {
		used = (size_t)snprintf(kind, sizeof(kind), ", %s", r->format);
		for (size_t i = 0; i < r->nfilters && used < sizeof(kind); i++)
			used += (size_t)snprintf(kind + used, sizeof(kind) - used, " + %s",
						 r->filters[i]);
	}
	used = (size_t)snprintf(buf, size, "%" PRIu64 " entr%s, %s%s", r->entries,
				r->entries == 1 ? "y" : "ies", bytes, kind);
	/* whole seconds: "3h12m5s old" */
	if (r->newest_ms != INT64_MIN && used < size)
		used += (size_t)snprintf(buf + used, size - used, ", %s old",
					 tm_format_duration(r->age_ms >= 1000 ? r->age_ms / 1000 * 1000
							    : 0, age));
	if (jv_is_valid(r->restore) && used < size) {
		jv ok = jv_object_get(jv_copy(r->restore), jv_string("ok"));

		snprintf(buf + used, size - used, ", restore %s",
			 jv_get_kind(ok) == JV_KIND_TRUE ? "ok" : "failed");
		jv_free(ok);
	}
}

static void summary_line(const struct bv_report *r)
{
	char facts[512], counts[512], line[1200];

	if (r->trouble) {
		snprintf(line, sizeof(line), "ERROR, %s", r->trouble_err.msg);
	} else {
		summary_facts(facts, sizeof(facts), r);
		if (r->nproblems) {
			summary_counts(counts, sizeof(counts), r);
			snprintf(line, sizeof(line), "FAILED, %s, %s", counts, facts);
		} else {
			snprintf(line, sizeof(line), "OK, %s", facts);
		}
	}
	puts_out(r->path);
	puts_out(": ");
	puts_out(line);
	puts_out("\n");
}

void bv_output_report(struct bv_output *o, const struct bv_report *r,
		      const struct bv_manifest *expected, struct rx *ignore)
{
	if (o->format != CLI_FMT_TEXT) {
		write_record(o, bv_report_record(r, tm_now_ms()));
		cli_flush_stdout();
		return;
	}
	if (expected)
		manifest_lines(o, r, expected, ignore);
	for (size_t i = 0; i < o->n; i++)
		if (!o->v[i].printed)
			print_failed(&o->v[i], r->path);
	forget_kept(o);
	summary_line(r);
	cli_flush_stdout();
}
