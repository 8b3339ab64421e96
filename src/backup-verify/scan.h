#ifndef BV_SCAN_H
#define BV_SCAN_H
/*
 * The read pass over one backup, shared by `check` and `manifest`: every entry of an
 * archive read to its last byte through arc_data (never skipped), its SHA-256 computed
 * on a second thread (hasher.h) while the next block decompresses, the end of the
 * archive checked (arc_check_trailer), and the archive file's own SHA-256 taken from
 * the raw bytes on the way, on a third thread; or, for a directory, bv_tree_walk.
 *
 * Entries reach the caller in archive order, complete with their digest.  A hardlink
 * entry without data of its own gets its target's size and digest when opts->keep
 * holds the target (tar stores later names of a file as data-less links).  An entry
 * whose data could not be read to the end is dropped (its read error is the problem).
 *
 * What the pass learns about the backup goes into the report (format, filters,
 * entries, bytes, data_bytes, sha256, mtime_ms, newest_entry_ms), problems to the
 * problem callback:
 *	truncated crc corrupt format empty trailing_garbage limit   (arc.h; reading stops)
 *	unsafe_path     an entry whose name would leave the restore directory
 *	                (arc_unsafe_reason), when opts->check_unsafe
 * and trouble (the backup cannot be opened or read: io, oom) to bv_report_trouble.
 */
#include <stdio.h>

#include "arc.h"
#include "manifest.h"
#include "report.h"
#include "settings.h"

/* An entry, complete; ent and its strings are valid during the call only.  Return 0
   to go on, -1 with e filled to stop the pass as trouble. */
typedef int (*bv_scan_entry_fn)(void *arg, const struct bv_entry *ent, struct srerr *e);
typedef void (*bv_scan_problem_fn)(void *arg, const struct bv_problem *p);

struct bv_scan_opts {
	struct arc_limits lim;
	int check_unsafe;             /* report unsafe_path problems */
	struct bv_manifest *keep;     /* every complete entry is added here (may be NULL) */
	bv_scan_entry_fn entry;       /* may be NULL */
	bv_scan_problem_fn problem;   /* may be NULL */
	void *arg;
	enum bv_progress_mode progress;
	FILE *progress_fp;            /* stderr */
	int progress_tty;             /* progress_fp is a terminal */
};

/*
 * Read the backup at r->path (an archive file or a directory) as described above,
 * filling r.  Returns 0 when the backup was read to its end without a read problem,
 * 1 when reading stopped at a problem (the rest of the backup is unknown), -1 on
 * trouble (r->trouble set).
 */
int bv_scan(struct bv_report *r, const struct bv_scan_opts *o);

/* Whether an arc error code is trouble (the backup could not be read) rather than a
   problem of the backup: io, oom, crypto, thread. */
int bv_scan_is_trouble(const char *code);

#endif
