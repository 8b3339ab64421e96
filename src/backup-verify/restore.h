#ifndef BACKUP_VERIFY_RESTORE_H
#define BACKUP_VERIFY_RESTORE_H
/*
 * The restore test (--restore-test): extract an archive into a fresh private
 * directory, prove that what landed on disk is what the archive holds, run the
 * operator's --validate command on it, and remove it again.
 *
 * How main.c uses it, per archive BACKUP (directories have nothing to restore):
 *
 *	bv_restore_clean_stale(NULL, &removed, &e);      once, at start (any mode)
 *	...
 *	struct bv_restore_opts o = BV_RESTORE_OPTS_INIT;
 *	o.restore_dir = opt_restore_dir;  o.keep = opt_keep;  o.lim = limits;
 *	o.validate_cmd = opt_validate;    o.validate_timeout_ms = opt_timeout;
 *	struct bv_restore_result res;
 *	if (bv_restore_run(path, &o, on_problem, ctx, &res, &e) == -1)
 *		trouble (exit 2): e.code/e.msg — res is still filled as far as it got
 *	else
 *		res.ok is the verdict; the problems have already gone to on_problem
 *	... write res into the report's "restore" object ...
 *	bv_restore_result_release(&res);
 *
 * The directory.  Without restore_dir: $TMPDIR/sretools-backup-verify.XXXXXX (mode
 * 0700, fsx_mkdtemp), holding "lock" and "root/"; the archive is extracted into
 * root/, which is RESTORE_DIR.  With restore_dir DIR: DIR is created (0700) if
 * absent, otherwise it must be an empty directory (a symbolic link to one is
 * refused); the archive goes straight into DIR, with the lock file
 * DIR/.sretools-backup-verify.lock beside it while the test runs (an archive entry of
 * that name at the top is refused as unsafe_path).  Nothing that was in DIR before is
 * ever touched: DIR must be empty to begin with.
 *
 * Ownership.  The lock file is held with flock(2) (fsx_lock_acquire) for the whole
 * test, so a directory whose lock is free belongs to a dead run (kill -9, power
 * loss).  In a temporary directory the lock is taken on "lock.new" and then renamed
 * to "lock", so "lock" never exists unheld while its run lives.
 * bv_restore_clean_stale removes such leftovers from $TMPDIR; a later run with the
 * same --restore-dir DIR finds there the lock file, free, and what the dead run
 * restored (DIR was empty when it began): it empties DIR and carries on instead of
 * refusing it as not empty.
 *
 * Afterwards.  Unless keep, the directory is removed: the temporary one entirely;
 * with restore_dir everything in DIR, and DIR itself when this run created it.  With
 * keep, the lock file is removed (so no later run takes the kept directory for a
 * leftover) and res->kept is set; the caller prints where (res->dir).
 *
 * Signals.  While bv_restore_run runs, SIGINT and SIGTERM are caught (the previous
 * dispositions come back when it returns).  The handler kills the --validate
 * command's process group, removes the directory as above (only async-signal-safe
 * system calls: openat, getdents64, unlinkat; no malloc), then dies of the same
 * signal, so the exit status is 128+N (130, 143).  With keep it removes only the lock
 * file and says on stderr where the directory is.  A signal delivered to another
 * thread is forwarded to the thread running bv_restore_run (tgkill), so the cleanup
 * never runs while that thread goes on writing.  A signal that was ignored when
 * bv_restore_run began (SIGINT of a background job) stays ignored.
 *
 * Extraction only through arc_extract (SECURE_NODOTDOT, SECURE_SYMLINKS,
 * SECURE_NOABSOLUTEPATHS, no owners, no setuid/setgid, no device nodes, FIFOs or
 * sockets, the caps in opts->lim).  Each entry's bytes are hashed as they are written;
 * then the restored tree is walked (bv_tree_walk) and compared with that list
 * (bv_manifest_compare without modes: a restore masks them).  A hardlink is expected
 * to have its target's content (and data carried by a hardlink, as cpio's newc format
 * stores it with the last name, to be every name's content).  Implicit parent
 * directories are expected as directories.  RESTORE_DIR and res->dir are absolute
 * paths, also for a relative DIR or $TMPDIR.  Comparing with the list computed while extracting is
 * enough: the check pass already compares the archive's entries with --manifest, so
 * restored == archive and archive == manifest together give restored == manifest
 * without reporting every manifest difference twice.
 *
 * Problems (passed to the callback; code, path, expected, actual, message):
 *	unsafe_path               an entry the extraction refused (nothing written).  Only
 *	                          entries that arc_unsafe_reason passes are reported here (a
 *	                          path through a symlink an earlier entry made, the reserved
 *	                          lock name): the check pass reports the others (../x, /abs,
 *	                          an outward hardlink) with arc_unsafe_reason already.  All of
 *	                          them count in res->refused and make the restore not ok.
 *	limit                     --max-bytes/--max-entries/--max-ratio hit (message names the
 *	                          cap; path the entry); the restore stops there
 *	restore_failed            the archive cannot be opened or read to the end, or an entry
 *	                          cannot be written (actual: arc's error code, e.g.
 *	                          "truncated", "crc", "io"; message: the reason).  The restore
 *	                          stops at a read error and goes on after a write error
 *	                          ("io").  Also: the restored tree cannot be walked (a file
 *	                          restored without read permission).
 *	restore_missing           an extracted entry is not on disk (expected: type name)
 *	restore_extra             something on disk that no entry made (actual: type name)
 *	restore_changed_size      a file's size on disk (expected/actual byte counts)
 *	restore_changed_hash      a file's SHA-256 on disk (expected/actual hex)
 *	restore_changed_type      expected/actual type names
 *	restore_changed_link      a symlink's target (expected/actual)
 *	                          (the restore_missing ... restore_changed_link messages are
 *	                          bv_diff_message's, "... after the restore")
 *	validate_failed           --validate exited non-zero (expected "0", actual "1") or was
 *	                          killed by a signal (actual "SIGSEGV"); the message quotes
 *	                          the first line of its output
 *	validate_timeout          --validate ran longer than validate_timeout_ms and its
 *	                          process group was killed (actual: the timeout, "10m")
 * When the restore stops early (limit, restore_failed on reading), the tree is not
 * compared and --validate is not run.  Strings passed to the callback are valid only
 * during the call; path, expected and actual may be NULL.
 *
 * Errors of bv_restore_run (return -1: trouble, exit 2): "restore_dir" (DIR exists and
 * is not an empty directory, or is a symbolic link or not a directory), "locked" (DIR
 * is in use by a live run), "io" (the directory or its lock cannot be made or removed),
 * "exec_failed" (/bin/sh could not be started for --validate), "crypto", "oom".  A
 * bad archive is never trouble here: the check pass reports what is wrong with it, the
 * restore test reports restore_failed.
 *
 * --keep: the caller says where the directory is (res->dir, when res->kept), e.g.
 *	backup-verify: kept the restore directory '/tmp/sretools-backup-verify.x1Y2z3/root'
 * (the signal handler prints that line itself).
 */
#include <stddef.h>
#include <stdint.h>

#include "arc.h"
#include "srerr.h"
#include "validate.h"

#define BV_VALIDATE_TIMEOUT_MS_DEFAULT (10 * 60 * 1000)   /* 10m */
#define BV_RESTORE_LOCK_NAME ".sretools-backup-verify.lock"   /* in --restore-dir DIR */

struct bv_restore_opts {
	const char *restore_dir;       /* NULL: a private directory under $TMPDIR */
	int keep;                      /* keep the directory afterwards */
	struct arc_limits lim;         /* caps for extraction; zeros: unlimited */
	const char *validate_cmd;      /* NULL: no validation */
	int64_t validate_timeout_ms;   /* > 0; BV_VALIDATE_TIMEOUT_MS_DEFAULT */
};
#define BV_RESTORE_OPTS_INIT { .validate_timeout_ms = BV_VALIDATE_TIMEOUT_MS_DEFAULT }

typedef void (*bv_problem_fn)(void *arg, const char *code, const char *path,
			      const char *expected, const char *actual, const char *message);

struct bv_restore_result {
	int ok;                  /* extracted fully, restored tree matches, validate ok */
	char *dir;               /* RESTORE_DIR (malloc'ed); gone afterwards unless kept */
	int kept;                /* the directory was kept (opts.keep) */
	double seconds;          /* extraction wall time, monotonic clock: the RTO evidence */
	double verify_seconds;   /* walking and re-hashing the restored tree */
	size_t entries;          /* entries extracted (directories included) */
	size_t skipped;          /* device nodes, FIFOs, sockets not created */
	size_t refused;          /* entries refused as unsafe_path */
	uint64_t bytes;          /* data bytes written */
	size_t problems;         /* problems passed to the callback */

	int validated;           /* validate_cmd ran (fields below valid) */
	int validate_exit;       /* exit status; -1 when killed by a signal */
	int validate_signal;     /* the signal that killed it, 0 when it exited */
	int validate_timed_out;  /* killed by us at the timeout */
	double validate_seconds;
	char *validate_output;   /* excerpt of stdout and stderr together, in order: all of
				    it up to 2 * BV_VALIDATE_EXCERPT bytes, else the first and
				    the last BV_VALIDATE_EXCERPT bytes joined by
				    "\n[... N bytes left out ...]\n" (malloc'ed, NUL-terminated;
				    "" when there was none) */
	uint64_t validate_output_bytes;   /* all the bytes it wrote */
};

/*
 * Run the restore test of the archive at path (see the top of this file).  problem is
 * called once per problem found (may be NULL).  res is always initialised and must be
 * released with bv_restore_result_release, also after -1.  Returns 0 when the test
 * ran (res->ok is the verdict), -1 and e on trouble (the directory was cleaned up as
 * far as possible, unless keep).
 */
int bv_restore_run(const char *path, const struct bv_restore_opts *o, bv_problem_fn problem,
		   void *arg, struct bv_restore_result *res, struct srerr *e);

/* Free what res holds (not res itself); res is then zeroed. */
void bv_restore_result_release(struct bv_restore_result *res);

struct bv_manifest;

/*
 * Walk the tree at root (bv_tree_walk) and compare it with want (bv_manifest_compare
 * without modes and special files), calling problem (may be NULL) once per difference
 * with the restore_* codes above and a message from bv_diff_message.  Paths in skip
 * (may be NULL: entries whose writing failed) and the top-level entry named reserved
 * (may be NULL: the lock file) are left out.  Returns the number of differences, or
 * -1 and e when the tree cannot be walked (the walk's codes: "io", "limit", "oom",
 * "crypto").  Used by bv_restore_run; exposed for the unit tests.
 */
int bv_restore_compare(const char *root, const struct bv_manifest *want,
		       const struct bv_manifest *skip, const char *reserved,
		       bv_problem_fn problem, void *arg, struct srerr *e);

/*
 * Remove the directories that killed runs left under parent (NULL: $TMPDIR, else
 * /tmp): entries named sretools-backup-verify.* that are real directories owned by
 * this user and hold a lock file that names a holder (a run got that far) and is not
 * locked now.  A live run's directory, or anything else, is never touched.  *removed
 * (may be NULL) gets how many were removed.  Returns 0, or -1 and e when parent cannot
 * be read (a leftover that cannot be removed is skipped and left for the next run).
 */
int bv_restore_clean_stale(const char *parent, size_t *removed, struct srerr *e);

#endif
