#ifndef BACKUP_VERIFY_VALIDATE_H
#define BACKUP_VERIFY_VALIDATE_H
/*
 * The --validate command of a restore test: /bin/sh -c CMD run in the restored
 * directory, with RESTORE_DIR=DIR added to the environment, stdin on /dev/null, stdout
 * and stderr into one pipe (so the excerpt keeps their order), in a process group of
 * its own, signals at their defaults.  It may run for timeout_ms; then its whole
 * process group is killed with SIGKILL.  When the shell ends, whatever it left running
 * in its group is killed too (a server started in the background must not go on
 * writing into a directory about to be removed).
 *
 * The excerpt keeps the first and the last BV_VALIDATE_EXCERPT bytes of the output
 * (everything when it is at most twice that), cut on UTF-8 character boundaries.
 */
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "srerr.h"

#define BV_VALIDATE_EXCERPT 2048   /* bytes kept of the start and of the end of the output */

struct bv_validate_result {
	int exit_status;        /* exit status, -1 when killed by a signal */
	int signal;             /* the signal that ended it, 0 when it exited */
	int timed_out;          /* we killed it at the timeout */
	double seconds;         /* from start to the shell's end (monotonic) */
	char *output;           /* excerpt (malloc'ed, NUL-terminated) */
	uint64_t output_bytes;  /* everything it wrote */
};

/*
 * Run cmd in dir as above and wait for it.  While it runs, *pgid (may be NULL) holds
 * the process group id, so that a signal handler can kill the group; 0 before and
 * after.  Returns 0 with r filled (whatever the command's verdict), or -1 and e (code
 * "exec_failed", "oom") when it could not be started; r is initialised either way and
 * released with bv_validate_result_release.
 */
int bv_validate_run(const char *cmd, const char *dir, int64_t timeout_ms,
		    volatile sig_atomic_t *pgid, struct bv_validate_result *r, struct srerr *e);

void bv_validate_result_release(struct bv_validate_result *r);

/*
 * The excerpt of an output of total bytes, of which head holds the first head_len
 * (at most BV_VALIDATE_EXCERPT) and tail the last tail_len: the text described in
 * restore.h (bv_restore_result.validate_output).  Malloc'ed; NULL when out of memory.
 * Exposed for the unit tests.
 */
char *bv_validate_excerpt(const char *head, size_t head_len, const char *tail,
			  size_t tail_len, uint64_t total);

#endif
