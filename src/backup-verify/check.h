#ifndef BV_CHECK_H
#define BV_CHECK_H
/*
 * The verbs of backup-verify (man 1 backup-verify).
 *
 * check, per BACKUP in the order given:
 *	1. the read pass (scan.h): every entry read and hashed, the archive's end and
 *	   its own SHA-256, unsafe names;
 *	2. with --manifest, the entries compared with it (bv_manifest_compare, --ignore);
 *	   when reading stopped at a problem, the entries after it are "missing": what
 *	   could not be read cannot be restored either;
 *	3. with --restore-test, the restore test (restore.h) as a second pass over the
 *	   archive, unless the read pass could not read it to its end (then the report's
 *	   restore says it was skipped); not for a directory;
 *	4. freshness, --min-size and --history anomalies (bv_report_judge);
 *	5. the backup.report (output.h).
 * Problems are printed as they are found.  The exit status is the worst of all the
 * backups: 0 verified, 1 problems found, 2 trouble (a backup that cannot be read, a
 * restore that could not run); a malformed --manifest or --history is an error at
 * once (exit 2).
 *
 * manifest: the entries of one BACKUP, in its order, as backup.entry records
 * (ndjson or json) or sha256sum lines (files only); paths normalised as
 * bv_path_normalise does, the root "." left out, --ignore'd paths too.  A read
 * problem is an error on standard error and exit 1 (after the entries read before
 * it); trouble exits 2.
 */
#include "cli.h"
#include "settings.h"

/* Run check over backups[0..n-1]; returns the exit status.  Exits on errors of the
   command line's files (--manifest, --history) and of standard output. */
int bv_check_run(const struct bv_settings *s, const struct cli *c, char *const *backups,
		 size_t n);

/* Run manifest over backup; returns the exit status. */
int bv_listing_run(const struct bv_settings *s, const struct cli *c, const char *backup);

#endif
