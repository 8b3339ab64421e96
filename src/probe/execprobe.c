#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "execprobe.h"
#include "tm.h"
#include "banned.h"

extern char **environ;

struct capture {
	int fd;
	char *buf;
	size_t len, cap;
};

struct exec_job {
	void *user;
	pid_t pid;
	int pidfd;
	int done, exited, status, signal, killed;
	int64_t start_ns, end_ns;
	struct capture out, err;
};

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

static int spawn_setup(posix_spawn_file_actions_t *fa, posix_spawnattr_t *attr,
		       const int out[2], const int err[2])
{
	sigset_t none, all;

	sigemptyset(&none);
	sigfillset(&all);
	if (posix_spawn_file_actions_init(fa) || posix_spawnattr_init(attr))
		return -1;
	/* the pipes are close-on-exec; dup2 gives the child its copies without the flag */
	posix_spawn_file_actions_addopen(fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(fa, out[1], 1);
	posix_spawn_file_actions_adddup2(fa, err[1], 2);
	/* libcurl's sockets are not close-on-exec: a command must not hold them open */
	posix_spawn_file_actions_addclosefrom_np(fa, 3);
	posix_spawnattr_setpgroup(attr, 0);
	posix_spawnattr_setsigmask(attr, &none);
	/* SIGPIPE is ignored here (cli_init); the command must get the default back */
	posix_spawnattr_setsigdefault(attr, &all);
	return posix_spawnattr_setflags(attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
					POSIX_SPAWN_SETSIGDEF) ? -1 : 0;
}

static int spawn_shell(struct exec_job *j, const char *command, const int out[2],
		       const int err[2])
{
	char sh[] = "/bin/sh", dash_c[] = "-c", *copy = strdup(command);
	char *argv[] = { sh, dash_c, copy, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	int rc = copy ? spawn_setup(&fa, &attr, out, err) : -1;

	if (rc == 0)
		rc = posix_spawn(&j->pid, sh, &fa, &attr, argv, environ);
	else
		rc = errno ? errno : ENOMEM;
	if (copy) {
		posix_spawn_file_actions_destroy(&fa);
		posix_spawnattr_destroy(&attr);
	}
	free(copy);
	return rc;
}

static void close_pair(int p[2])
{
	if (p[0] >= 0)
		close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
}

static int init_captures(struct exec_job *j, size_t cap, int out[2], int err[2])
{
	j->out.cap = j->err.cap = cap;
	j->out.buf = malloc(cap + 1);
	j->err.buf = malloc(cap + 1);
	if (!j->out.buf || !j->err.buf)
		return -1;
	if (pipe2(out, O_CLOEXEC) == -1)
		return -1;
	if (pipe2(err, O_CLOEXEC) == -1)
		return -1;
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	fcntl(err[0], F_SETFL, O_NONBLOCK);
	return 0;
}

struct exec_job *execprobe_start(const char *command, size_t cap, void *user,
				 struct srerr *e)
{
	struct exec_job *j = calloc(1, sizeof(*j));
	int out[2] = { -1, -1 }, err[2] = { -1, -1 }, rc;

	if (j)
		j->out.fd = j->err.fd = j->pidfd = -1;
	if (!j || init_captures(j, cap, out, err) == -1) {
		srerr_set(e, "exec_failed", "cannot start '%s': %s", command, strerror(errno));
		close_pair(out);
		close_pair(err);
		execprobe_free(j);
		return NULL;
	}
	j->user = user;
	j->start_ns = tm_monotonic_ns();
	rc = spawn_shell(j, command, out, err);
	close(out[1]);
	close(err[1]);
	j->out.fd = out[0];
	j->err.fd = err[0];
	if (rc != 0) {
		srerr_set(e, "exec_failed", "cannot start /bin/sh: %s", strerror(rc));
		j->done = 1;
		execprobe_free(j);
		return NULL;
	}
	j->pidfd = open_pidfd(j->pid);
	return j;
}

void *execprobe_user(const struct exec_job *j)
{
	return j->user;
}

static void add_fd(struct curl_waitfd *fds, unsigned *n, int fd)
{
	if (fd < 0)
		return;
	fds[*n].fd = fd;
	fds[*n].events = CURL_WAIT_POLLIN;
	fds[*n].revents = 0;
	(*n)++;
}

unsigned execprobe_fds(const struct exec_job *j, struct curl_waitfd *fds)
{
	unsigned n = 0;

	if (j->done)
		return 0;
	add_fd(fds, &n, j->out.fd);
	add_fd(fds, &n, j->err.fd);
	add_fd(fds, &n, j->pidfd);
	return n;
}

int execprobe_needs_polling(const struct exec_job *j)
{
	return !j->done && j->pidfd < 0;
}

/* Read what the pipe has now; close it at EOF. */
static void drain(struct capture *c)
{
	char scratch[4096];

	while (c->fd >= 0) {
		size_t room = c->cap - c->len;
		char *dst = room ? c->buf + c->len : scratch;
		ssize_t n = read(c->fd, dst, room ? room : sizeof(scratch));

		if (n > 0) {
			if (room)
				c->len += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 || errno != EAGAIN) {
			close(c->fd);
			c->fd = -1;
		}
		return;
	}
}

static void close_capture(struct capture *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

static void reaped(struct exec_job *j, int wstatus)
{
	j->end_ns = tm_monotonic_ns();
	j->exited = WIFEXITED(wstatus);
	j->status = j->exited ? WEXITSTATUS(wstatus) : 0;
	j->signal = WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0;
	/* what the shell wrote before it ended is in the pipes now */
	drain(&j->out);
	drain(&j->err);
	close_capture(&j->out);
	close_capture(&j->err);
	if (j->pidfd >= 0)
		close(j->pidfd);
	j->pidfd = -1;
	j->done = 1;
}

int execprobe_step(struct exec_job *j, const struct curl_waitfd *fds, unsigned n)
{
	int wstatus, check_exit = j->pidfd < 0;
	pid_t r;

	if (j->done)
		return 1;
	for (unsigned i = 0; i < n; i++) {
		if (!fds[i].revents)
			continue;
		if (fds[i].fd == j->out.fd)
			drain(&j->out);
		else if (fds[i].fd == j->err.fd)
			drain(&j->err);
		else if (fds[i].fd == j->pidfd)
			check_exit = 1;
	}
	if (!check_exit)
		return 0;
	r = waitpid(j->pid, &wstatus, WNOHANG);
	if (r == j->pid)
		reaped(j, wstatus);
	return j->done;
}

void execprobe_kill(struct exec_job *j, int sig)
{
	if (j->done)
		return;
	if (!j->killed)
		j->killed = sig;
	kill(-j->pid, sig);
}

void execprobe_outcome(const struct exec_job *j, struct exec_outcome *o)
{
	memset(o, 0, sizeof(*o));
	o->exited = j->exited;
	o->status = j->status;
	o->signal = j->signal;
	o->we_killed = j->killed != 0;
	o->elapsed_ms = (double)(j->end_ns - j->start_ns) / 1e6;
	o->out = j->out.buf;
	o->out_len = j->out.len;
	o->err = j->err.buf;
	o->err_len = j->err.len;
}

void execprobe_free(struct exec_job *j)
{
	int wstatus;

	if (!j)
		return;
	if (!j->done && j->pid > 0) {
		kill(-j->pid, SIGKILL);
		while (waitpid(j->pid, &wstatus, 0) == -1 && errno == EINTR)
			;
	}
	close_capture(&j->out);
	close_capture(&j->err);
	if (j->pidfd >= 0)
		close(j->pidfd);
	free(j->out.buf);
	free(j->err.buf);
	free(j);
}
