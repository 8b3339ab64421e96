#ifndef PROBE_EXECPROBE_H
#define PROBE_EXECPROBE_H
/*
 * --exec probes: a command run by /bin/sh -c in its own process group, with stdin on
 * /dev/null and stdout and stderr captured (the first cap bytes of each are kept, the
 * rest read and dropped so that the command never blocks on a full pipe).  Exit
 * status 0 is healthy.  The event loop watches the descriptors execprobe_fds gives
 * and calls execprobe_step; at a timeout it signals the whole group with
 * execprobe_kill.  The job is finished when the shell has exited (descendants that
 * keep running and hold the pipes are not waited for).
 */
#include <stddef.h>
#include <curl/curl.h>

#include "srerr.h"

#define EXEC_CAPTURE_MAX 4096
#define EXEC_MAX_FDS 3

struct exec_job;

/* Start command; NULL and e (code "exec_failed") if it cannot be started. */
struct exec_job *execprobe_start(const char *command, size_t cap, void *user,
				 struct srerr *e);

void *execprobe_user(const struct exec_job *j);

/* The descriptors to watch (at most EXEC_MAX_FDS) into fds; returns how many. */
unsigned execprobe_fds(const struct exec_job *j, struct curl_waitfd *fds);

/* Whether the job needs execprobe_step calls without events (no pidfd here). */
int execprobe_needs_polling(const struct exec_job *j);

/* Read what is ready and notice the exit; fds are the ones execprobe_fds gave, with
   revents filled.  Returns 1 once the job is finished. */
int execprobe_step(struct exec_job *j, const struct curl_waitfd *fds, unsigned n);

/* Send sig to the command's process group (the first signal sent is remembered). */
void execprobe_kill(struct exec_job *j, int sig);

struct exec_outcome {
	int exited;            /* exit status valid */
	int status;            /* exit status */
	int signal;            /* killed by this signal, 0 if not */
	int we_killed;         /* execprobe_kill was called */
	double elapsed_ms;
	const char *out, *err; /* captured bytes */
	size_t out_len, err_len;
};

/* The outcome of a finished job (pointers valid until execprobe_free). */
void execprobe_outcome(const struct exec_job *j, struct exec_outcome *o);

/* Free a job; one still running is killed (SIGKILL to its group) and reaped. */
void execprobe_free(struct exec_job *j);

#endif
