/*
 * backup-verify check; see check.h.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "history.h"
#include "manifest.h"
#include "output.h"
#include "report.h"
#include "restore.h"
#include "scan.h"
#include "tm.h"
#include "banned.h"

struct checker {
	const struct bv_settings *s;
	const struct cli *c;
	struct bv_output *out;
	struct bv_manifest expected;     /* --manifest */
	int has_expected;
};

/* One backup being checked. */
struct one {
	struct checker *ck;
	struct bv_report *r;
	struct bv_manifest unsafe;       /* paths the read pass found unsafe */
};

static void on_problem(void *arg, const struct bv_problem *p)
{
	struct one *o = arg;
	struct bv_entry ent;

	bv_report_count(o->r, p);
	bv_output_problem(o->ck->out, o->r, p);
	if (p->path && strcmp(p->code, "unsafe_path") == 0) {
		bv_entry_init(&ent);
		ent.path = (char *)(uintptr_t)p->path;   /* copied by bv_manifest_add */
		bv_manifest_add(&o->unsafe, &ent, NULL);
	}
}

static void on_diff(void *arg, const char *code, const char *path, const char *expected,
		    const char *actual)
{
	char msg[SRERR_MSG_MAX];
	struct bv_problem p = { code, path, expected, actual, msg };

	bv_diff_message(msg, sizeof(msg), code, path, expected, actual);
	on_problem(arg, &p);
}

/* A problem of the restore test; an entry the read pass already called unsafe is not
   reported twice. */
static void on_restore_problem(void *arg, const char *code, const char *path,
			       const char *expected, const char *actual, const char *message)
{
	struct one *o = arg;
	char msg[SRERR_MSG_MAX];
	struct bv_problem p = { code, path, expected, actual, message };

	if (path && strcmp(code, "unsafe_path") == 0 && bv_manifest_find(&o->unsafe, path))
		return;
	if (!message) {
		bv_diff_message(msg, sizeof(msg), code, path ? path : "", expected, actual);
		p.message = msg;
	}
	on_problem(arg, &p);
}

static void on_judged(void *arg, const struct bv_problem *p)
{
	on_problem(arg, p);
}

/* ---- the steps ------------------------------------------------------------------------- */

static void compare(struct one *o, const struct bv_manifest *actual)
{
	struct bv_compare_opts co = { o->ck->s->ignore, 0 };
	struct srerr e;

	if (bv_manifest_compare(&o->ck->expected, actual, &co, on_diff, o, &e) == -1)
		bv_report_trouble(o->r, &e);
}

static void restore(struct one *o, int read_ok)
{
	const struct bv_settings *s = o->ck->s;
	struct bv_restore_opts ro = BV_RESTORE_OPTS_INIT;
	struct bv_restore_result res;
	struct srerr e;

	if (!read_ok) {
		o->r->restore = bv_restore_json(NULL, 0, "not attempted: the archive could "
						"not be read to its end");
		return;
	}
	ro.restore_dir = s->restore_dir;
	ro.keep = s->keep;
	ro.lim = (struct arc_limits){ s->max_bytes, s->max_entries, s->max_ratio };
	ro.validate_cmd = s->validate;
	ro.validate_timeout_ms = s->validate_timeout_ms;
	if (bv_restore_run(o->r->path, &ro, on_restore_problem, o, &res, &e) == -1)
		bv_report_trouble(o->r, &e);
	o->r->restore = bv_restore_json(&res, 1, NULL);
	if (res.kept && res.dir && !o->ck->c->quiet)
		fprintf(stderr, "%s: kept the restore of '%s' in '%s'\n", cli_prog(), o->r->path,
			res.dir);
	bv_restore_result_release(&res);
}

/* The history of the backup's name; a malformed file ends the run (exit 2). */
static int load_history(const struct bv_settings *s, const char *name, struct bv_history *h)
{
	struct srerr e;

	if (!s->history)
		return 0;
	if (bv_history_load(s->history, name, (size_t)s->history_count, 0, h, &e) == -1)
		cli_die_srerr(CLI_TROUBLE, &e);
	return 1;
}

static void read_and_compare(struct one *o, int *read_ok)
{
	const struct bv_settings *s = o->ck->s;
	struct bv_manifest actual;
	struct bv_scan_opts so = {
		.lim = { s->max_bytes, s->max_entries, s->max_ratio },
		.check_unsafe = 1,
		.problem = on_problem,
		.arg = o,
		.progress = s->progress,
		.progress_fp = stderr,
		.progress_tty = isatty(STDERR_FILENO),
	};
	int rc;

	bv_manifest_init(&actual);
	so.keep = o->ck->has_expected ? &actual : NULL;
	rc = bv_scan(o->r, &so);
	*read_ok = rc == 0;
	if (rc != -1 && o->ck->has_expected)
		compare(o, &actual);
	bv_manifest_release(&actual);
}

static int check_one(struct checker *ck, const char *path)
{
	const struct bv_settings *s = ck->s;
	struct bv_report r;
	struct one o = { .ck = ck, .r = &r };
	int64_t start = tm_monotonic_ns();
	int read_ok, code;

	bv_report_init(&r, s->name ? s->name : path, path);
	bv_manifest_init(&o.unsafe);
	r.manifest = s->manifest;
	r.has_history = load_history(s, r.name, &r.history);
	cli_info(ck->c, "checking '%s'", path);
	read_and_compare(&o, &read_ok);
	if (!r.trouble && s->restore_test && !r.is_dir)
		restore(&o, read_ok);
	if (!r.trouble)
		bv_report_judge(&r, s, r.has_history ? &r.history : NULL, tm_now_ms(), on_judged, &o);
	r.seconds = (double)(tm_monotonic_ns() - start) / 1e9;
	if (r.trouble)
		cli_error("%s", r.trouble_err.msg);
	bv_output_report(ck->out, &r, ck->has_expected ? &ck->expected : NULL, s->ignore);
	code = r.trouble ? CLI_TROUBLE : r.nproblems ? CLI_PROBLEM : CLI_OK;
	bv_manifest_release(&o.unsafe);
	bv_report_release(&r);
	return code;
}

/* ---- the verb -------------------------------------------------------------------------- */

static void clean_stale_restores(const struct cli *c)
{
	size_t removed = 0;
	struct srerr e;

	if (bv_restore_clean_stale(NULL, &removed, &e) == -1)
		cli_warn(c, "%s", e.msg);
	else if (removed)
		cli_info(c, "removed %zu restore director%s left by killed runs", removed,
			 removed == 1 ? "y" : "ies");
}

int bv_check_run(const struct bv_settings *s, const struct cli *c, char *const *backups,
		 size_t n)
{
	struct checker ck = { .s = s, .c = c };
	struct srerr e;
	int worst = CLI_OK;

	if (s->restore_dir && s->keep && n > 1)
		cli_die(CLI_TROUBLE, "--restore-dir with --keep takes one BACKUP");
	bv_manifest_init(&ck.expected);
	if (s->manifest) {
		if (bv_manifest_load(s->manifest, &ck.expected, &e) == -1)
			cli_die_srerr(CLI_TROUBLE, &e);
		ck.has_expected = 1;
	}
	if (!(ck.out = bv_output_new(c->format)))
		cli_die(CLI_TROUBLE, "out of memory");
	clean_stale_restores(c);
	for (size_t i = 0; i < n; i++) {
		int code = check_one(&ck, backups[i]);

		if (code > worst)
			worst = code;
	}
	bv_output_free(ck.out);
	bv_manifest_release(&ck.expected);
	return worst;
}
