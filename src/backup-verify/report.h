#ifndef BV_REPORT_H
#define BV_REPORT_H
/*
 * What backup-verify found about one backup, and its records (JSON Schemas in
 * share/sretools/schemas/backup.problem.schema.json and backup.report.schema.json).
 *
 * backup.problem, one per problem, as it is found:
 *	{"kind":"backup.problem","time":T,"name":NAME,"backup":PATH,
 *	 "path":ENTRY,                  the entry's path; absent for the backup as a whole
 *	 "problem":CODE,                see below
 *	 "expected":"...","actual":"...",   strings, each absent when it means nothing
 *	 "message":"..."}              one line, git style
 *
 * backup.report, one per backup, after its problems:
 *	{"kind":"backup.report","time":T,"name":NAME,"path":PATH,
 *	 "format":"tar (pax)",          arc_format() names, or "directory"; absent when unknown
 *	 "filters":["gzip"],            outermost first; [] for none
 *	 "entries":N,                   entries read (a directory: files, dirs, links below it)
 *	 "bytes":N,                     the backup's size: the archive file's bytes, or the
 *	                                sum of a directory's file sizes (--min-size, --history)
 *	 "data_bytes":N,                entry data read (decompressed)
 *	 "sha256":HEX,                  of the archive file; absent for a directory or when
 *	                                it could not be read
 *	 "mtime":TIME,                  the archive file's (or directory's) modification time
 *	 "newest":TIME,                 the time the age is measured from (--age-from)
 *	 "age_seconds":N,               now - newest (whole seconds, may be negative)
 *	 "seconds":N,                   how long the check took (milliseconds precision)
 *	 "manifest":FILE,               with --manifest
 *	 "history":{"reports":N,"median_bytes":N,"median_entries":N},   with --history
 *	 "restore":{...},               with --restore-test (see bv_restore_json)
 *	 "ok":BOOL,
 *	 "problems":{CODE:COUNT,...},   {} when none
 *	 "error":{"code":CODE,"message":MSG}}   when not ok: the first problem; its message
 *	                                        says how many there were in all
 *
 * Problem codes: the arc.h read codes (truncated, crc, corrupt, format, empty,
 * trailing_garbage, limit), unsafe_path, the manifest differences (missing, extra,
 * changed_size, changed_hash, changed_mode, changed_type, changed_link), the
 * restore.h codes (restore_*, validate_failed, validate_timeout), and
 * too_old, too_small, size_anomaly, entries_anomaly.  Trouble (exit 2) is no
 * problem: a backup that cannot be opened or read (io) gets a report with
 * "ok": false and its error, and no problem count.
 */
#include <stddef.h>
#include <stdint.h>
#include <jv.h>

#include "arc.h"
#include "history.h"
#include "restore.h"
#include "settings.h"
#include "srerr.h"

#define BV_REPORT_CODES 32     /* distinct problem codes counted (more go to "other") */

/* One problem; every string borrowed, NULL when absent. */
struct bv_problem {
	const char *code;
	const char *path;
	const char *expected, *actual;
	const char *message;
};

struct bv_report {
	const char *name, *path;         /* borrowed */
	int is_dir;                      /* the backup is a directory */
	char format[32];                 /* arc_format(), "directory"; "" unknown */
	const char *filters[ARC_MAX_FILTERS];
	size_t nfilters;
	uint64_t entries, bytes, data_bytes;
	char sha256[65];                 /* "" when none */
	int64_t mtime_ms;                /* INT64_MIN: unknown */
	int64_t newest_entry_ms;         /* the newest entry mtime; INT64_MIN: none */
	int64_t newest_ms;               /* set by bv_report_judge: what the age is from */
	int64_t age_ms;                  /* valid when newest_ms != INT64_MIN */
	double seconds;
	const char *manifest;            /* borrowed */
	int has_history;
	struct bv_history history;
	jv restore;                      /* owned; jv_invalid() when there was none */
	/* problems */
	struct { char code[48]; uint64_t n; } counts[BV_REPORT_CODES];
	size_t ncodes;
	uint64_t nproblems;
	struct srerr first;              /* the first problem's code and message */
	int trouble;                     /* the backup could not be read: exit 2 */
	struct srerr trouble_err;
};

void bv_report_init(struct bv_report *r, const char *name, const char *path);
void bv_report_release(struct bv_report *r);

/* Count problem p in r (its code and, for the first, its message). */
void bv_report_count(struct bv_report *r, const struct bv_problem *p);

/* Mark r as trouble (the backup could not be read) with e's code and message. */
void bv_report_trouble(struct bv_report *r, const struct srerr *e);

/* No problem and no trouble. */
int bv_report_ok(const struct bv_report *r);

/* The backup.report record (owned by the caller). */
jv bv_report_record(const struct bv_report *r, int64_t now_ms);

/* The backup.problem record of p found in backup name at path (owned by the caller). */
jv bv_problem_record(const char *name, const char *backup, const struct bv_problem *p,
		     int64_t now_ms);

/* The "restore" object of a report from R's result; ran 0: the restore was not
 * attempted because why (then {"ok":false,"skipped":true,"message":why}). */
jv bv_restore_json(const struct bv_restore_result *res, int ran, const char *why);

/*
 * The message of a problem found by comparison or judgement, into buf (size bytes):
 *	missing         'etc/x' is missing
 *	extra           'etc/x' is not in the manifest
 *	changed_size    'etc/x': size 1000, expected 1024
 *	changed_hash    'etc/x': sha256 7d86..., expected 9f2c...
 *	changed_mode    'etc/x': mode 0600, expected 0644
 *	changed_type    'etc/x': dir, expected file
 *	changed_link    'etc/x': link target 'b', expected 'a'
 *	(other codes)   'etc/x': CODE: expected E, found A
 * restore_* codes read as the codes without the prefix, "... after the restore".
 */
void bv_diff_message(char *buf, size_t size, const char *code, const char *path,
		     const char *expected, const char *actual);

/* ---- judgement of a whole backup -------------------------------------------------- */

/*
 * The time the backup's age is measured from: the archive's mtime, the newest entry
 * mtime, or (BV_AGE_BOTH) the newer of the two; INT64_MIN when that is unknown.
 */
int64_t bv_newest_time(enum bv_age_from from, int64_t archive_ms, int64_t newest_entry_ms);

/* Called by bv_report_judge once per problem it finds. */
typedef void (*bv_judge_fn)(void *arg, const struct bv_problem *p);

/*
 * Judge freshness (--max-age), size (--min-size) and history anomalies (hist, may be
 * NULL) of r as of now_ms; sets r->newest_ms and r->age_ms and calls cb per problem:
 * too_old (expected "at most 26h", actual "1d2h"; also when no time is known),
 * too_small (expected "at least N bytes", actual "N bytes"), size_anomaly and
 * entries_anomaly (expected the median +- tolerance, actual the value).  Only counts
 * nothing: the caller counts what cb receives.
 */
void bv_report_judge(struct bv_report *r, const struct bv_settings *s,
		     const struct bv_history *hist, int64_t now_ms, bv_judge_fn cb, void *arg);

#endif
