#ifndef BV_OUTPUT_H
#define BV_OUTPUT_H
/*
 * backup-verify's standard output for the check verb (records: report.h).
 *
 * ndjson, json   each backup.problem record as soon as it is found, then the backup's
 *                backup.report (json: indented, as `jq .` prints).  Flushed after each
 *                report, so a log sees every finished backup.
 * text           per backup, after it was read, lines like `sha256sum -c`:
 *                    etc/passwd: OK
 *                    etc/shadow: FAILED changed_hash
 *                    var/db.sqlite: FAILED truncated: 'var/db.sqlite' ends after 1536 of 4096 bytes
 *                with --manifest one OK line for each entry of the manifest that
 *                passed (in the manifest's order, ignored paths left out), and one
 *                FAILED line per problem: first those of manifest entries, in the
 *                manifest's order, then the rest in the order found; without a
 *                manifest, the FAILED lines only.  A path with a newline is escaped
 *                as sha256sum -c does (the line starts with '\'; backslashes,
 *                newlines and carriage returns in it become \\, \n and \r).  A problem of the backup as a whole (too_old, ...) names
 *                the backup instead.  Then one summary line:
 *                    /backups/db.tar.gz: OK, 1234 entries, 56.7 MiB, tar (pax) + gzip, 3h12m old
 *                    /backups/db.tar.gz: FAILED, 2 problems (missing 1, changed_hash 1), ...
 *                    /backups/db.tar.gz: ERROR, cannot open '/backups/db.tar.gz': ...
 *
 * Standard output errors follow the stream contract (cli_stdout_failed): a closed
 * pipe ends the process quietly, any other write error exits 2.
 */
#include "cli.h"
#include "manifest.h"
#include "report.h"
#include "rx.h"

struct bv_output;

/* format: NDJSON, JSON or TEXT (resolved).  NULL when out of memory. */
struct bv_output *bv_output_new(enum cli_format format);

/* One problem of the backup r describes (ndjson/json: printed now; text: kept for
   bv_output_report).  The strings of p are copied where kept. */
void bv_output_problem(struct bv_output *o, const struct bv_report *r,
		       const struct bv_problem *p);

/*
 * The end of one backup: its report record (ndjson/json), or its text lines and
 * summary.  expected (may be NULL) is the --manifest for the OK lines, ignore the
 * --ignore regex (may be NULL).
 */
void bv_output_report(struct bv_output *o, const struct bv_report *r,
		      const struct bv_manifest *expected, struct rx *ignore);

void bv_output_free(struct bv_output *o);

/*
 * An entry path for a text line, escaped as sha256sum -c does: when it holds a '\n',
 * *escaped is set to 1 and '\\', '\n', '\r' become "\\\\", "\\n", "\\r".  Returns a
 * malloc'ed string (NULL when out of memory).  Exposed for the unit tests.
 */
char *bv_text_escape(const char *path, int *escaped);

/* The detail a FAILED line shows after the code (see above) into buf; "" for none.
   backup is the backup's path (stripped from the front of read errors). */
void bv_text_detail(char *buf, size_t size, const struct bv_problem *p, const char *backup);

#endif
