/*
 * The --validate command of a restore test (validate.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tm.h"
#include "validate.h"
#include "banned.h"

extern char **environ;

#define N BV_VALIDATE_EXCERPT

/* The first N bytes and the last N bytes after them; tail[0..tail_len) is in order. */
struct capture {
	char head[N];
	size_t head_len;
	char tail[2 * N];
	size_t tail_len;
	uint64_t total;
};

static void capture_add(struct capture *c, const char *buf, size_t len)
{
	size_t take = N - c->head_len;

	c->total += len;
	if (take > len)
		take = len;
	memcpy(c->head + c->head_len, buf, take);
	c->head_len += take;
	buf += take;
	len -= take;
	if (len >= N) {   /* only the last N bytes of buf can end up in the tail */
		memcpy(c->tail, buf + len - N, N);
		c->tail_len = N;
		return;
	}
	if (c->tail_len + len > 2 * N) {   /* keep the last N - len, make room */
		size_t keep = N - len;

		memmove(c->tail, c->tail + c->tail_len - keep, keep);
		c->tail_len = keep;
	}
	memcpy(c->tail + c->tail_len, buf, len);
	c->tail_len += len;
}

static int is_cont(unsigned char b)
{
	return (b & 0xc0) == 0x80;
}

/* Length of head without a UTF-8 character cut off at its end. */
static size_t utf8_trim_end(const char *s, size_t len)
{
	size_t i = len, back;
	unsigned char lead;
	size_t need;

	for (back = 0; i > 0 && back < 4; back++) {
		i--;
		if (!is_cont((unsigned char)s[i]))
			break;
	}
	if (len == 0 || is_cont((unsigned char)s[i]))
		return len;   /* no lead byte near the end: not UTF-8, leave it */
	lead = (unsigned char)s[i];
	need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
	return len - i < need ? i : len;
}

/* Bytes at the start of tail that continue a character cut off before it. */
static size_t utf8_skip_start(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len && i < 3 && is_cont((unsigned char)s[i]))
		i++;
	return i;
}

char *bv_validate_excerpt(const char *head, size_t head_len, const char *tail,
			  size_t tail_len, uint64_t total)
{
	char mark[80];
	size_t skip, mlen = 0;
	char *out;

	if (head_len + tail_len < total) {
		head_len = utf8_trim_end(head, head_len);
		skip = utf8_skip_start(tail, tail_len);
		tail += skip;
		tail_len -= skip;
		mlen = (size_t)snprintf(mark, sizeof(mark), "\n[... %llu bytes left out ...]\n",
					(unsigned long long)(total - head_len - tail_len));
	}
	out = malloc(head_len + mlen + tail_len + 1);
	if (!out)
		return NULL;
	memcpy(out, head, head_len);
	memcpy(out + head_len, mark, mlen);
	memcpy(out + head_len + mlen, tail, tail_len);
	out[head_len + mlen + tail_len] = '\0';
	return out;
}

/* environ without RESTORE_DIR, plus RESTORE_DIR=dir; *own is the string to free. */
static char **child_env(const char *dir, char **own)
{
	size_t n = 0, k = 0;
	char **env;

	while (environ && environ[n])
		n++;
	env = calloc(n + 2, sizeof(*env));
	if (!env || asprintf(own, "RESTORE_DIR=%s", dir) < 0) {
		free(env);
		*own = NULL;
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "RESTORE_DIR=", 12) != 0)
			env[k++] = environ[i];
	env[k] = *own;
	return env;
}

static int spawn_setup(posix_spawn_file_actions_t *fa, posix_spawnattr_t *attr,
		       const char *dir, int out)
{
	sigset_t none, all;

	sigemptyset(&none);
	sigfillset(&all);
	if (posix_spawn_file_actions_init(fa))
		return -1;
	if (posix_spawnattr_init(attr)) {
		posix_spawn_file_actions_destroy(fa);
		return -1;
	}
	posix_spawn_file_actions_addopen(fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(fa, out, 1);
	posix_spawn_file_actions_adddup2(fa, out, 2);
	posix_spawn_file_actions_addclosefrom_np(fa, 3);
	posix_spawn_file_actions_addchdir_np(fa, dir);
	posix_spawnattr_setpgroup(attr, 0);
	posix_spawnattr_setsigmask(attr, &none);
	/* SIGPIPE is ignored by cli_init and SIGINT/SIGTERM are ours: defaults for it */
	posix_spawnattr_setsigdefault(attr, &all);
	posix_spawnattr_setflags(attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
				 POSIX_SPAWN_SETSIGDEF);
	return 0;
}

/* Start sh -c cmd; returns its pid, or -1 with errno. */
static pid_t spawn_shell(const char *cmd, const char *dir, int out)
{
	char sh[] = "/bin/sh", dash_c[] = "-c", *copy = strdup(cmd), *own = NULL;
	char *argv[] = { sh, dash_c, copy, NULL };
	char **env = copy ? child_env(dir, &own) : NULL;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	pid_t pid = -1;
	int rc = ENOMEM;

	if (env && spawn_setup(&fa, &attr, dir, out) == 0) {
		rc = posix_spawn(&pid, sh, &fa, &attr, argv, env);
		posix_spawn_file_actions_destroy(&fa);
		posix_spawnattr_destroy(&attr);
	}
	free(env);
	free(own);
	free(copy);
	if (rc != 0) {
		errno = rc;
		return -1;
	}
	return pid;
}

static int open_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);

	if (fd >= 0)
		fcntl(fd, F_SETFD, FD_CLOEXEC);
	return fd;
#else
	(void)pid;
	return -1;
#endif
}

/* Read what the pipe has now into c; close it at end of file or on an error. */
static void drain(int *fd, struct capture *c)
{
	char buf[8192];

	while (*fd >= 0) {
		ssize_t n = read(*fd, buf, sizeof(buf));

		if (n > 0) {
			capture_add(c, buf, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 || errno != EAGAIN) {
			close(*fd);
			*fd = -1;
		}
		return;
	}
}

/* 1 once the shell has ended (not reaped yet, so its group id stays ours). */
static int shell_ended(pid_t pid)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == -1)
		return errno != EINTR;
	return si.si_pid == pid;
}

struct child {
	pid_t pid;
	int out, pidfd;
	struct capture cap;
};

/* Wait for the shell to end, reading its output, until deadline_ns; 1 on timeout. */
static int wait_shell(struct child *ch, int64_t deadline_ns)
{
	for (;;) {
		struct pollfd fds[2];
		nfds_t n = 0;
		int64_t left = deadline_ns - tm_monotonic_ns();
		int ms;

		if (shell_ended(ch->pid))
			return 0;
		if (left <= 0)
			return 1;
		ms = left > 1000000000 ? 1000 : (int)(left / 1000000) + 1;
		if (ch->pidfd < 0 && ms > 50)
			ms = 50;   /* no pidfd: poll for the exit */
		if (ch->out >= 0)
			fds[n++] = (struct pollfd){ .fd = ch->out, .events = POLLIN };
		if (ch->pidfd >= 0)
			fds[n++] = (struct pollfd){ .fd = ch->pidfd, .events = POLLIN };
		if (poll(fds, n, ms) > 0 && ch->out >= 0 && fds[0].revents)
			drain(&ch->out, &ch->cap);
	}
}

static void reap(struct child *ch, struct bv_validate_result *r)
{
	int ws;

	while (waitpid(ch->pid, &ws, 0) == -1 && errno == EINTR)
		;
	r->exit_status = WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
	r->signal = WIFSIGNALED(ws) ? WTERMSIG(ws) : 0;
}

static int start_child(struct child *ch, const char *cmd, const char *dir, struct srerr *e)
{
	int p[2], d = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	/* posix_spawn reports a failed chdir only where it can share memory with the
	   child (not under valgrind, say): find out here */
	if (d < 0) {
		srerr_set(e, "exec_failed", "cannot run the validate command in '%s': %s", dir,
			  strerror(errno));
		return -1;
	}
	close(d);
	if (pipe2(p, O_CLOEXEC) == -1) {
		srerr_set(e, "exec_failed", "cannot run the validate command: %s", strerror(errno));
		return -1;
	}
	ch->pid = spawn_shell(cmd, dir, p[1]);
	close(p[1]);
	if (ch->pid == -1) {
		srerr_set(e, "exec_failed", "cannot start /bin/sh for the validate command: %s",
			  strerror(errno));
		close(p[0]);
		return -1;
	}
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	ch->out = p[0];
	ch->pidfd = open_pidfd(ch->pid);
	return 0;
}

/* The shell has ended or timed out: kill what is left of its group, reap it, and
   keep the excerpt of its output. */
static void finish_child(struct child *ch, volatile sig_atomic_t *pgid,
			 struct bv_validate_result *r)
{
	size_t tl;

	/* the group's leader is not reaped yet: its id cannot have been reused */
	kill(-ch->pid, SIGKILL);
	/* what is there now: a process that escaped the group may hold the pipe open */
	drain(&ch->out, &ch->cap);
	reap(ch, r);
	if (pgid)
		*pgid = 0;
	if (ch->out >= 0)
		close(ch->out);
	if (ch->pidfd >= 0)
		close(ch->pidfd);
	r->output_bytes = ch->cap.total;
	tl = ch->cap.tail_len < N ? ch->cap.tail_len : N;
	r->output = bv_validate_excerpt(ch->cap.head, ch->cap.head_len,
					ch->cap.tail + ch->cap.tail_len - tl, tl, ch->cap.total);
}

int bv_validate_run(const char *cmd, const char *dir, int64_t timeout_ms,
		    volatile sig_atomic_t *pgid, struct bv_validate_result *r, struct srerr *e)
{
	struct child *ch = calloc(1, sizeof(*ch));
	sigset_t stop, old;
	int64_t start;

	memset(r, 0, sizeof(*r));
	r->exit_status = -1;
	if (!ch) {
		srerr_set(e, "oom", "out of memory");
		return -1;
	}
	/* no SIGINT/SIGTERM between the start and *pgid: the handler must see the group */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, &old);
	start = tm_monotonic_ns();
	if (start_child(ch, cmd, dir, e) == 0 && pgid)
		*pgid = (sig_atomic_t)ch->pid;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ch->pid <= 0) {
		free(ch);
		return -1;
	}
	r->timed_out = wait_shell(ch, start + timeout_ms * 1000000);
	r->seconds = (double)(tm_monotonic_ns() - start) / 1e9;
	finish_child(ch, pgid, r);
	free(ch);
	if (!r->output) {
		srerr_set(e, "oom", "out of memory");
		return -1;
	}
	return 0;
}

void bv_validate_result_release(struct bv_validate_result *r)
{
	free(r->output);
	memset(r, 0, sizeof(*r));
}
