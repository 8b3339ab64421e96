/*
 * backup-verify manifest: the entries of one backup as backup.entry records or
 * sha256sum lines; see check.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "manifest.h"
#include "ndjson.h"
#include "report.h"
#include "scan.h"
#include "tm.h"
#include "banned.h"

struct listing {
	const struct bv_settings *s;
	struct ndj_writer w;
	struct bv_report *r;
	int problems;
};

static int write_entry(void *arg, const struct bv_entry *ent, struct srerr *e)
{
	struct listing *l = arg;
	struct bv_entry shown = *ent;
	char *path = bv_path_normalise(ent->path);

	if (!path) {
		srerr_set(e, "oom", "out of memory");
		return -1;
	}
	shown.path = path;
	if (strcmp(path, ".") == 0 ||
	    (l->s->ignore && rx_match(l->s->ignore, path, strlen(path), NULL) == 1))
		goto done;
	if (l->s->listing == BV_LIST_SHA256SUM) {
		if (bv_entry_write_sha256sum(stdout, &shown) == -1)
			cli_stdout_failed(errno ? errno : EIO);
	} else if (ndj_write(&l->w, bv_entry_record(&shown, tm_now_ms()), e) == -1) {
		cli_stdout_failed(l->w.err ? l->w.err : EIO);
	}
done:
	free(path);
	return 0;
}

static void on_problem(void *arg, const struct bv_problem *p)
{
	struct listing *l = arg;

	l->problems++;
	cli_error("%s", p->message ? p->message : p->code);
}

int bv_listing_run(const struct bv_settings *s, const struct cli *c, const char *backup)
{
	struct bv_report r;
	struct bv_manifest keep;
	struct listing l = { s, { 0 }, &r, 0 };
	struct bv_scan_opts so = {
		.lim = { s->max_bytes, s->max_entries, s->max_ratio },
		.keep = &keep,
		.entry = write_entry,
		.problem = on_problem,
		.arg = &l,
		.progress = s->progress,
		.progress_fp = stderr,
		.progress_tty = isatty(STDERR_FILENO),
	};
	int rc;

	ndj_writer_init(&l.w, stdout, s->listing == BV_LIST_JSON ? NDJ_PRETTY : 0);
	bv_report_init(&r, backup, backup);
	bv_manifest_init(&keep);
	cli_info(c, "listing '%s'", backup);
	rc = bv_scan(&r, &so);
	if (r.trouble)
		cli_error("%s", r.trouble_err.msg);
	bv_manifest_release(&keep);
	bv_report_release(&r);
	cli_flush_stdout();
	return rc == -1 ? CLI_TROUBLE : l.problems ? CLI_PROBLEM : CLI_OK;
}
