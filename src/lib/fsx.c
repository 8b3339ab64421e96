#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fsx.h"
#include "banned.h"

#define TMP_TAG ".sretools-tmp-"
#define TMP_TAG_LEN (sizeof(TMP_TAG) - 1)
#define TMP_BASE_MAX 200     /* keeps .NAME.sretools-tmp-PID-XXXXXX under NAME_MAX */
#define TMP_RAND_LEN 6

static size_t write_chunk;   /* fsx_set_write_chunk; 0 = no cap */

static void set_oom(struct srerr *e)
{
	srerr_set(e, "oom", "out of memory");
}

static int set_errno_err(struct srerr *e, const char *what, const char *path)
{
	srerr_set(e, "io", "%s '%s': %s", what, path, strerror(errno));
	return -1;
}

void fsx_set_write_chunk(size_t n)
{
	write_chunk = n;
}

int fsx_write_all(int fd, const void *buf, size_t len, const char *name, struct srerr *e)
{
	const char *p = buf;

	while (len > 0) {
		size_t n = (write_chunk && len > write_chunk) ? write_chunk : len;
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = ENOSPC;   /* write(2) made no progress: treat as full */
			return set_errno_err(e, "cannot write", name);
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int fsx_fsync_dir(const char *dir, struct srerr *e)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return set_errno_err(e, "cannot open directory", dir);
	if (fsync(fd) < 0) {
		set_errno_err(e, "cannot sync directory", dir);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/*
 * Split path into its directory ("." when there is none) and base name, both
 * malloc'ed.  A path ending in '/' or naming "." or ".." cannot be a file we replace.
 */
static int split_path(const char *path, char **dir, char **base, struct srerr *e)
{
	const char *slash;
	size_t n;

	*dir = *base = NULL;
	if (!path || !*path) {
		srerr_set(e, "invalid", "empty file name");
		return -1;
	}
	n = strlen(path);
	slash = strrchr(path, '/');
	if (path[n - 1] == '/' || !strcmp(slash ? slash + 1 : path, ".") ||
	    !strcmp(slash ? slash + 1 : path, "..")) {
		srerr_set(e, "invalid", "'%s' names a directory, not a file", path);
		return -1;
	}
	if (!slash)
		*dir = strdup(".");
	else if (slash == path)
		*dir = strdup("/");
	else
		*dir = strndup(path, (size_t)(slash - path));
	*base = strdup(slash ? slash + 1 : path);
	if (!*dir || !*base) {
		free(*dir);
		free(*base);
		*dir = *base = NULL;
		set_oom(e);
		return -1;
	}
	return 0;
}

/* "DIR/.BASE.sretools-tmp-PID-XXXXXX", malloc'ed; NULL when out of memory. */
static char *tmp_template(const char *dir, const char *base)
{
	char *s;
	int blen = (int)strnlen(base, TMP_BASE_MAX);

	if (asprintf(&s, "%s/.%.*s" TMP_TAG "%ld-XXXXXX", dir, blen, base, (long)getpid()) < 0)
		return NULL;
	return s;
}

/* The umask without changing it (Linux 4.7+ shows it in /proc/self/status). */
static mode_t process_umask(void)
{
	char line[256];
	unsigned int m;
	mode_t old;
	FILE *f = fopen("/proc/self/status", "re");

	if (f) {
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "Umask: %o", &m) == 1) {
				fclose(f);
				return (mode_t)(m & 0777);
			}
		fclose(f);
	}
	old = umask(022);
	umask(old);
	return old;
}

/* The mode the replacement gets (see fsx_atomic_open); refuses a directory at path. */
static int target_mode(const char *path, int mode, mode_t *out, struct srerr *e)
{
	struct stat st;
	int have = lstat(path, &st) == 0;

	if (!have && errno != ENOENT)
		return set_errno_err(e, "cannot stat", path);
	if (have && S_ISDIR(st.st_mode)) {
		srerr_set(e, "invalid", "'%s' is a directory", path);
		return -1;
	}
	if (mode >= 0)
		*out = (mode_t)mode & 07777;
	else if (have && S_ISREG(st.st_mode))
		*out = st.st_mode & 07777;
	else
		*out = 0666 & ~process_umask();
	return 0;
}

/* ---- atomic replace ------------------------------------------------------------- */

struct fsx_atomic {
	int fd;
	FILE *fp;
	int tmp_exists;
	mode_t mode;
	char *path;
	char *dir;
	char *base;
	char *tmp;
};

static void atomic_free(struct fsx_atomic *a)
{
	if (a->fp)
		fclose(a->fp);
	else if (a->fd >= 0)
		close(a->fd);
	if (a->tmp_exists)
		unlink(a->tmp);
	free(a->path);
	free(a->dir);
	free(a->base);
	free(a->tmp);
	free(a);
}

struct fsx_atomic *fsx_atomic_open(const char *path, int mode, struct srerr *e)
{
	struct fsx_atomic *a = calloc(1, sizeof(*a));

	if (!a) {
		set_oom(e);
		return NULL;
	}
	a->fd = -1;
	if (split_path(path, &a->dir, &a->base, e) < 0 ||
	    target_mode(path, mode, &a->mode, e) < 0)
		goto fail;
	a->path = strdup(path);
	a->tmp = tmp_template(a->dir, a->base);
	if (!a->path || !a->tmp) {
		set_oom(e);
		goto fail;
	}
	a->fd = mkostemp(a->tmp, O_CLOEXEC);
	if (a->fd < 0) {
		set_errno_err(e, "cannot create a temporary file next to", path);
		goto fail;
	}
	a->tmp_exists = 1;
	if (fchmod(a->fd, a->mode) < 0) {
		set_errno_err(e, "cannot set the mode of", a->tmp);
		goto fail;
	}
	return a;
fail:
	atomic_free(a);
	return NULL;
}

int fsx_atomic_fd(const struct fsx_atomic *a)
{
	return a->fd;
}

const char *fsx_atomic_tmp_path(const struct fsx_atomic *a)
{
	return a->tmp;
}

FILE *fsx_atomic_stdio(struct fsx_atomic *a, struct srerr *e)
{
	if (!a->fp) {
		a->fp = fdopen(a->fd, "w");
		if (!a->fp)
			set_errno_err(e, "cannot write", a->path);
	}
	return a->fp;
}

int fsx_atomic_write(struct fsx_atomic *a, const void *buf, size_t len, struct srerr *e)
{
	if (!a->fp)
		return fsx_write_all(a->fd, buf, len, a->path, e);
	if (len && fwrite(buf, 1, len, a->fp) != len)
		return set_errno_err(e, "cannot write", a->path);
	return 0;
}

/* Flush, fsync and close the temporary file; the fd is gone afterwards either way. */
static int atomic_finish_tmp(struct fsx_atomic *a, struct srerr *e)
{
	int rc;

	if (a->fp && fflush(a->fp) != 0)
		return set_errno_err(e, "cannot write", a->path);
	if (a->fp && ferror(a->fp)) {
		srerr_set(e, "io", "cannot write '%s': a write through stdio failed", a->path);
		return -1;
	}
	/* Not retried on failure: the kernel may have dropped the pages it could not write. */
	if (fsync(a->fd) < 0)
		return set_errno_err(e, "cannot sync", a->path);
	rc = a->fp ? fclose(a->fp) : close(a->fd);
	a->fp = NULL;
	a->fd = -1;
	if (rc != 0)
		return set_errno_err(e, "cannot close", a->path);
	return 0;
}

int fsx_atomic_commit(struct fsx_atomic *a, struct srerr *e)
{
	int rc = atomic_finish_tmp(a, e);

	if (rc == 0 && rename(a->tmp, a->path) < 0) {
		srerr_set(e, "io", "cannot rename '%s' to '%s': %s", a->tmp, a->path,
			  strerror(errno));
		rc = -1;
	}
	if (rc == 0) {
		a->tmp_exists = 0;
		rc = fsx_fsync_dir(a->dir, e);
	}
	atomic_free(a);
	return rc;
}

void fsx_atomic_abort(struct fsx_atomic *a)
{
	if (a)
		atomic_free(a);
}

int fsx_write_file(const char *path, const void *buf, size_t len, int mode, struct srerr *e)
{
	struct fsx_atomic *a = fsx_atomic_open(path, mode, e);

	if (!a)
		return -1;
	if (fsx_atomic_write(a, buf, len, e) < 0) {
		fsx_atomic_abort(a);
		return -1;
	}
	return fsx_atomic_commit(a, e);
}

/* ---- reading -------------------------------------------------------------------- */

static int read_fd_all(int fd, const char *path, size_t max, char **out, size_t *outlen,
		       struct srerr *e)
{
	size_t cap = 0, len = 0;
	char *buf = NULL;

	for (;;) {
		ssize_t r;

		if (len == cap) {
			size_t ncap = cap ? cap * 2 : 8192;
			char *nbuf = ncap > cap ? realloc(buf, ncap + 1) : NULL;

			if (!nbuf) {
				free(buf);
				set_oom(e);
				return -1;
			}
			buf = nbuf;
			cap = ncap;
		}
		r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(buf);
			return set_errno_err(e, "cannot read", path);
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > max) {
			free(buf);
			srerr_set(e, "limit", "'%s' is larger than %zu bytes", path, max);
			return -1;
		}
	}
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;
}

int fsx_read_file(const char *path, size_t max, char **buf, size_t *len, struct srerr *e)
{
	int rc, fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0) {
		srerr_set(e, errno == ENOENT ? "notfound" : "io", "cannot open '%s': %s", path,
			  strerror(errno));
		return -1;
	}
	rc = read_fd_all(fd, path, max, buf, len, e);
	close(fd);
	return rc;
}

int fsx_ledger_read(const char *path, size_t max, char **buf, size_t *len, struct srerr *e)
{
	const char *nl;

	if (fsx_read_file(path, max, buf, len, e) < 0)
		return -1;
	nl = *len ? memrchr(*buf, '\n', *len) : NULL;
	*len = nl ? (size_t)(nl - *buf) + 1 : 0;
	(*buf)[*len] = '\0';
	return 0;
}

/* pread until n bytes or end of file; returns the count read or -1. */
static ssize_t pread_full(int fd, char *buf, size_t n, off_t off)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = pread(fd, buf + got, n - got, off + (off_t)got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

off_t fsx_ledger_valid_len(int fd, const char *name, struct srerr *e)
{
	char buf[8192];
	struct stat st;
	off_t end;

	if (fstat(fd, &st) < 0)
		return set_errno_err(e, "cannot stat", name);
	for (end = st.st_size; end > 0;) {
		size_t n = end > (off_t)sizeof(buf) ? sizeof(buf) : (size_t)end;
		off_t off = end - (off_t)n;
		ssize_t r = pread_full(fd, buf, n, off);
		const char *nl;

		if (r < 0)
			return set_errno_err(e, "cannot read", name);
		nl = memrchr(buf, '\n', (size_t)r);
		if (nl)
			return off + (nl - buf) + 1;
		end = off;
	}
	return 0;
}

/* ---- durable append ------------------------------------------------------------- */

static int check_record(const char *path, const char *rec, size_t len, struct srerr *e)
{
	if (!len || rec[len - 1] != '\n') {
		srerr_set(e, "invalid", "record for '%s' does not end in a newline", path);
		return -1;
	}
	if (memchr(rec, '\n', len - 1)) {
		srerr_set(e, "invalid", "record for '%s' holds more than one line", path);
		return -1;
	}
	return 0;
}

static int open_ledger(const char *path, int *created, struct srerr *e)
{
	const int flags = O_RDWR | O_APPEND | O_CLOEXEC | O_NOCTTY;
	struct stat st;
	int fd = open(path, flags);

	*created = 0;
	if (fd < 0 && errno == ENOENT) {
		fd = open(path, flags | O_CREAT, 0666);
		*created = fd >= 0;
	}
	if (fd < 0)
		return set_errno_err(e, "cannot open", path);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		srerr_set(e, "invalid", "'%s' is not a regular file", path);
		close(fd);
		return -1;
	}
	return fd;
}

static int flock_fd(int fd, int flags)
{
	int r;

	do
		r = flock(fd, LOCK_EX | ((flags & FSX_LOCK_WAIT) ? 0 : LOCK_NB));
	while (r < 0 && errno == EINTR);
	return r;
}

/*
 * Cut a torn tail left by a writer killed mid-record.  Only called under the lock,
 * so no live writer is half-way through a record.  Returns the valid length.
 */
static off_t repair_tail(int fd, const char *path, struct srerr *e)
{
	struct stat st;
	off_t valid;

	if (fstat(fd, &st) < 0)
		return set_errno_err(e, "cannot stat", path);
	valid = fsx_ledger_valid_len(fd, path, e);
	if (valid < 0 || valid == st.st_size)
		return valid;
	if (ftruncate(fd, valid) < 0)
		return set_errno_err(e, "cannot truncate the torn last record of", path);
	if (fsync(fd) < 0)
		return set_errno_err(e, "cannot sync", path);
	return valid;
}

static int append_synced(int fd, const char *path, const char *rec, size_t len, off_t end,
			 struct srerr *e)
{
	if (fsx_write_all(fd, rec, len, path, e) == 0) {
		if (fsync(fd) == 0)
			return 0;
		set_errno_err(e, "cannot sync", path);
	}
	/* Take back what part of the record made it, so that no caller sees it. */
	if (ftruncate(fd, end) < 0) {
		/* e already holds the first error; the next append repairs a torn tail */
	}
	return -1;
}

int fsx_append(const char *path, const void *rec, size_t len, struct srerr *e)
{
	int created, fd, rc = -1;
	off_t end;

	if (check_record(path, rec, len, e) < 0)
		return -1;
	fd = open_ledger(path, &created, e);
	if (fd < 0)
		return -1;
	if (flock_fd(fd, FSX_LOCK_WAIT) < 0)
		set_errno_err(e, "cannot lock", path);
	else if ((end = repair_tail(fd, path, e)) >= 0)
		rc = append_synced(fd, path, rec, len, end, e);
	close(fd);
	if (rc == 0 && created) {
		char *dir, *base;

		if (split_path(path, &dir, &base, e) < 0)
			return -1;
		rc = fsx_fsync_dir(dir, e);
		free(dir);
		free(base);
	}
	return rc;
}

/* ---- locks ---------------------------------------------------------------------- */

/* The program name as one word of printable characters, for the holder line. */
static void holder_prog(char *out, size_t n)
{
	const char *s = program_invocation_short_name;
	size_t i;

	for (i = 0; s && s[i] && i + 1 < n && i < 64; i++)
		out[i] = (s[i] > ' ' && s[i] < 0x7f) ? s[i] : '_';
	out[i] = '\0';
	if (!i)
		snprintf(out, n, "unknown");
}

/* Best effort: the line only informs a contender, the lock holds without it. */
static void write_holder(int fd)
{
	char line[192], when[32], prog[72];
	time_t now = time(NULL);
	struct tm tm;
	int n;

	holder_prog(prog, sizeof(prog));
	if (!gmtime_r(&now, &tm) || !strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(when, sizeof(when), "unknown");
	n = snprintf(line, sizeof(line), "pid=%ld prog=%s since=%s\n", (long)getpid(), prog,
		     when);
	if (ftruncate(fd, 0) == 0 && n > 0 && pwrite(fd, line, (size_t)n, 0) < 0) {
		/* ignored: see above */
	}
}

static void report_holder(int fd, const char *path, struct srerr *e)
{
	char buf[256], prog[72], since[40];
	ssize_t n = pread_full(fd, buf, sizeof(buf) - 1, 0);
	long pid;

	if (n > 0 && buf[n - 1] == '\n') {
		buf[n] = '\0';
		if (sscanf(buf, "pid=%ld prog=%71s since=%39s", &pid, prog, since) == 3 &&
		    pid > 0) {
			srerr_set(e, "locked", "'%s' is locked by pid %ld (%s since %s)", path, pid,
				  prog, since);
			return;
		}
	}
	srerr_set(e, "locked", "'%s' is locked by another process", path);
}

int fsx_lock_acquire(struct fsx_lock *lk, const char *path, int flags, struct srerr *e)
{
	int fd;

	if (flags & ~FSX_LOCK_WAIT) {
		srerr_set(e, "invalid", "invalid lock flags %d for '%s'", flags, path);
		return -1;
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
	if (fd < 0)
		return set_errno_err(e, "cannot open lock file", path);
	if (flock_fd(fd, flags) < 0) {
		if (errno == EWOULDBLOCK)
			report_holder(fd, path, e);
		else
			set_errno_err(e, "cannot lock", path);
		close(fd);
		return -1;
	}
	lk->path = strdup(path);
	if (!lk->path) {
		close(fd);
		set_oom(e);
		return -1;
	}
	write_holder(fd);
	lk->fd = fd;
	return 0;
}

void fsx_lock_release(struct fsx_lock *lk)
{
	if (lk->fd >= 0) {
		if (ftruncate(lk->fd, 0) < 0) {
			/* a stale holder line is harmless: only a contender reads it */
		}
		close(lk->fd);
	}
	free(lk->path);
	lk->fd = -1;
	lk->path = NULL;
}

/* ---- symlink swap --------------------------------------------------------------- */

static void random_suffix(char *out, size_t n)
{
	static const char set[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	static unsigned int counter;
	unsigned char rnd[TMP_RAND_LEN];
	size_t i;

	if (getrandom(rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd))
		for (i = 0; i < sizeof(rnd); i++)
			rnd[i] = (unsigned char)((unsigned)getpid() * 31u + (unsigned)time(NULL) +
						 ++counter * 7919u + (unsigned)i);
	for (i = 0; i < n && i < sizeof(rnd); i++)
		out[i] = set[rnd[i] % (sizeof(set) - 1)];
}

/* Create a symlink to target at a fresh temporary name next to base; malloc'ed path. */
static char *tmp_symlink(const char *target, const char *dir, const char *base,
			 const char *linkpath, struct srerr *e)
{
	char *tmp = tmp_template(dir, base);
	int tries;

	if (!tmp) {
		set_oom(e);
		return NULL;
	}
	for (tries = 0; tries < 100; tries++) {
		random_suffix(tmp + strlen(tmp) - TMP_RAND_LEN, TMP_RAND_LEN);
		if (symlink(target, tmp) == 0)
			return tmp;
		if (errno != EEXIST)
			break;
	}
	set_errno_err(e, "cannot create a temporary symbolic link next to", linkpath);
	free(tmp);
	return NULL;
}

int fsx_symlink_swap(const char *target, const char *linkpath, struct srerr *e)
{
	char *dir, *base, *tmp = NULL;
	struct stat st;
	int have, rc = -1;

	if (!target || !*target) {
		srerr_set(e, "invalid", "empty symbolic link target for '%s'", linkpath);
		return -1;
	}
	if (split_path(linkpath, &dir, &base, e) < 0)
		return -1;
	have = lstat(linkpath, &st) == 0;
	if (!have && errno != ENOENT)
		set_errno_err(e, "cannot stat", linkpath);
	else if (have && !S_ISLNK(st.st_mode))
		srerr_set(e, "exists", "'%s' is %s, not a symbolic link", linkpath,
			  S_ISDIR(st.st_mode) ? "a directory" : "a file");
	else if ((tmp = tmp_symlink(target, dir, base, linkpath, e)) != NULL) {
		if (rename(tmp, linkpath) < 0) {
			srerr_set(e, "io", "cannot rename '%s' to '%s': %s", tmp, linkpath,
				  strerror(errno));
			unlink(tmp);
		} else {
			rc = fsx_fsync_dir(dir, e);
		}
	}
	free(tmp);
	free(dir);
	free(base);
	return rc;
}

/* ---- temp dirs ------------------------------------------------------------------ */

static int valid_prefix(const char *p)
{
	if (!p || !*p)
		return 0;
	for (; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
			return 0;
	return 1;
}

char *fsx_mkdtemp(const char *parent, const char *prefix, struct srerr *e)
{
	char *path;

	if (!valid_prefix(prefix)) {
		srerr_set(e, "invalid", "invalid temporary directory prefix '%s': expected letters, digits, '_' or '-'",
			  prefix ? prefix : "");
		return NULL;
	}
	if (!parent) {
		parent = getenv("TMPDIR");
		if (!parent || !*parent)
			parent = "/tmp";
	}
	if (asprintf(&path, "%s/sretools-%s.XXXXXX", parent, prefix) < 0) {
		set_oom(e);
		return NULL;
	}
	if (!mkdtemp(path)) {
		set_errno_err(e, "cannot create a temporary directory in", parent);
		free(path);
		return NULL;
	}
	/* mkdtemp's 0700 is subject to the umask; make the mode exact. */
	if (chmod(path, 0700) < 0) {
		set_errno_err(e, "cannot set the mode of", path);
		rmdir(path);
		free(path);
		return NULL;
	}
	return path;
}

/* ---- safe recursive removal ------------------------------------------------------ */

/*
 * One directory on the way down: its identity (to check that ".." leads back to it),
 * its name in its parent, and the subdirectories still to remove.
 */
struct rm_frame {
	dev_t dev;
	ino_t ino;
	char *name;
	char **subdirs;
	size_t n, next;
};

struct rm_walk {
	const char *root;
	dev_t dev;
	struct rm_frame *frames;
	size_t depth, cap;
	int cur;      /* the one directory we hold open: the top frame's */
};

static void frame_free(struct rm_frame *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		free(f->subdirs[i]);
	free(f->subdirs);
	free(f->name);
}

/* "ROOT/a/b/NAME" for messages (cut to fit): the top frame's path, then name if any. */
static void walk_path(const struct rm_walk *w, const char *name, char *buf, size_t n)
{
	size_t i, len = (size_t)snprintf(buf, n, "%s", w->root);

	for (i = 1; i < w->depth && len < n; i++)
		len += (size_t)snprintf(buf + len, n - len, "/%s", w->frames[i].name);
	if (name && len < n)
		snprintf(buf + len, n - len, "/%s", name);
}

static int walk_err(struct rm_walk *w, const char *what, const char *name, struct srerr *e)
{
	char p[400];
	int saved = errno;

	walk_path(w, name, p, sizeof(p));
	errno = saved;
	return set_errno_err(e, what, p);
}

/* Open subdirectory name of parent, never through a link; make it ours to empty. */
static int open_subdir(int parent, const char *name, struct stat *st)
{
	const int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	int fd = openat(parent, name, flags);

	if (fd < 0 && errno == EACCES &&
	    fchmodat(parent, name, S_IRWXU, AT_SYMLINK_NOFOLLOW) == 0)
		fd = openat(parent, name, flags);
	if (fd < 0)
		return -1;
	if (fstat(fd, st) < 0) {
		close(fd);
		return -1;
	}
	if ((st->st_mode & S_IRWXU) != S_IRWXU && st->st_uid == geteuid())
		(void)fchmod(fd, (st->st_mode & 07777) | S_IRWXU);
	return fd;
}

static int push_name(struct rm_frame *f, size_t *cap, const char *name)
{
	if (f->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		char **n = reallocarray(f->subdirs, ncap, sizeof(*n));

		if (!n)
			return -1;
		f->subdirs = n;
		*cap = ncap;
	}
	f->subdirs[f->n] = strdup(name);
	if (!f->subdirs[f->n])
		return -1;
	f->n++;
	return 0;
}

/* Read all names of the open directory into f->subdirs. */
static int list_dir(struct rm_walk *w, struct rm_frame *f, struct srerr *e)
{
	size_t cap = 0;
	struct dirent *de;
	int dfd = dup(w->cur);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;

	if (!d) {
		if (dfd >= 0)
			close(dfd);
		return walk_err(w, "cannot read directory", NULL, e);
	}
	for (errno = 0; (de = readdir(d)) != NULL; errno = 0) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (push_name(f, &cap, de->d_name) < 0) {
			closedir(d);
			set_oom(e);
			return -1;
		}
	}
	if (errno) {
		walk_err(w, "cannot read directory", NULL, e);
		closedir(d);
		return -1;
	}
	closedir(d);
	return 0;
}

/* 1: name is a directory to descend into; 0: gone or removed; -1: error. */
static int remove_entry(struct rm_walk *w, const char *name, struct srerr *e)
{
	struct stat st;

	if (fstatat(w->cur, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : walk_err(w, "cannot stat", name, e);
	if (S_ISDIR(st.st_mode))
		return 1;
	if (unlinkat(w->cur, name, 0) < 0 && errno != ENOENT)
		return walk_err(w, "cannot remove", name, e);
	return 0;
}

/* Unlink every non-directory of the top frame's listing; keep the directories. */
static int scan_dir(struct rm_walk *w, struct srerr *e)
{
	struct rm_frame *f = &w->frames[w->depth - 1];
	size_t i, kept = 0;

	if (list_dir(w, f, e) < 0)
		return -1;
	for (i = 0; i < f->n; i++) {
		char *name = f->subdirs[i];
		int r;

		f->subdirs[i] = NULL;
		r = remove_entry(w, name, e);
		if (r == 1)
			f->subdirs[kept++] = name;
		else
			free(name);
		if (r < 0)
			return -1;   /* frame_free copes with the NULL holes */
	}
	f->n = kept;
	return 0;
}

static int push_frame(struct rm_walk *w, const struct stat *st, const char *name,
		      struct srerr *e)
{
	struct rm_frame *f;

	if (w->depth == w->cap) {
		size_t ncap = w->cap ? w->cap * 2 : 32;
		struct rm_frame *nf = reallocarray(w->frames, ncap, sizeof(*nf));

		if (!nf) {
			set_oom(e);
			return -1;
		}
		w->frames = nf;
		w->cap = ncap;
	}
	f = &w->frames[w->depth];
	memset(f, 0, sizeof(*f));
	f->dev = st->st_dev;
	f->ino = st->st_ino;
	if (name && !(f->name = strdup(name))) {
		set_oom(e);
		return -1;
	}
	w->depth++;
	return 0;
}

/* Go down into the next subdirectory of the top frame; 1 if there was none left. */
static int walk_down(struct rm_walk *w, struct srerr *e)
{
	struct rm_frame *f = &w->frames[w->depth - 1];
	struct stat st;
	const char *name;
	int fd;

	do {
		if (f->next == f->n)
			return 1;
		name = f->subdirs[f->next++];
		fd = open_subdir(w->cur, name, &st);
	} while (fd < 0 && errno == ENOENT);
	if (fd < 0)
		return walk_err(w, "cannot open directory", name, e);
	if (st.st_dev != w->dev) {
		char p[400];

		close(fd);
		walk_path(w, name, p, sizeof(p));
		srerr_set(e, "io", "refusing to remove '%s': another file system is mounted there", p);
		return -1;
	}
	if (push_frame(w, &st, name, e) < 0) {
		close(fd);
		return -1;
	}
	close(w->cur);
	w->cur = fd;
	return scan_dir(w, e);
}

/* The top directory is empty now: go up through ".." (checked) and remove it. */
static int walk_up(struct rm_walk *w, struct srerr *e)
{
	struct rm_frame *f = &w->frames[w->depth - 1], *parent = f - 1;
	struct stat st;
	int rc = 0, up = openat(w->cur, "..", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (up < 0 || fstat(up, &st) < 0) {
		if (up >= 0)
			close(up);
		return walk_err(w, "cannot open the parent of", NULL, e);
	}
	if (st.st_dev != parent->dev || st.st_ino != parent->ino) {
		char p[400];

		close(up);
		walk_path(w, NULL, p, sizeof(p));
		srerr_set(e, "io", "'%s' was moved during its removal", p);
		return -1;
	}
	close(w->cur);
	w->cur = up;
	w->depth--;
	if (unlinkat(up, f->name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		rc = walk_err(w, "cannot remove directory", f->name, e);
	frame_free(f);
	return rc;
}

/* Empty the directory base of parent (whose stat is root); the caller removes it. */
static int empty_tree(int parent, const char *base, const char *path, struct srerr *e)
{
	struct rm_walk w = { .root = path, .cur = -1 };
	struct stat st;
	int rc;

	w.cur = open_subdir(parent, base, &st);
	if (w.cur < 0)
		return set_errno_err(e, "cannot open directory", path);
	w.dev = st.st_dev;
	rc = push_frame(&w, &st, NULL, e);
	if (rc == 0)
		rc = scan_dir(&w, e);
	while (rc == 0) {
		rc = walk_down(&w, e);
		if (rc == 1 && w.depth == 1)
			rc = 2;
		else if (rc == 1)
			rc = walk_up(&w, e);
	}
	close(w.cur);
	while (w.depth > 0)
		frame_free(&w.frames[--w.depth]);
	free(w.frames);
	return rc == 2 ? 0 : -1;
}

static int remove_in(int pfd, const char *base, const char *path, struct srerr *e)
{
	struct stat st;

	if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : set_errno_err(e, "cannot stat", path);
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(pfd, base, 0) < 0 && errno != ENOENT)
			return set_errno_err(e, "cannot remove", path);
		return 0;
	}
	if (empty_tree(pfd, base, path, e) < 0)
		return -1;
	if (unlinkat(pfd, base, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return set_errno_err(e, "cannot remove directory", path);
	return 0;
}

/* "", "/", ".", ".." and names ending in "/." or "/..": nothing we may remove. */
static int unremovable(const char *p, size_t n)
{
	const char *base = memrchr(p, '/', n);

	base = base ? base + 1 : p;
	n -= (size_t)(base - p);
	return !n || (n == 1 && base[0] == '.') || (n == 2 && !memcmp(base, "..", 2));
}

int fsx_remove_tree(const char *path, struct srerr *e)
{
	char *copy, *dir, *base;
	size_t n = path ? strlen(path) : 0;
	int pfd, rc;

	while (n > 1 && path[n - 1] == '/')
		n--;
	if (!n || (n == 1 && path[0] == '/') || unremovable(path, n)) {
		srerr_set(e, "invalid", "refusing to remove '%s'", path ? path : "");
		return -1;
	}
	copy = strndup(path, n);
	if (!copy) {
		set_oom(e);
		return -1;
	}
	rc = split_path(copy, &dir, &base, e);
	free(copy);
	if (rc < 0)
		return -1;
	pfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0)
		rc = errno == ENOENT ? 0 : set_errno_err(e, "cannot open directory", dir);
	else
		rc = remove_in(pfd, base, path, e);
	if (pfd >= 0)
		close(pfd);
	free(dir);
	free(base);
	return rc;
}

/* ---- stale temporary files --------------------------------------------------------- */

static int is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/*
 * Whether name is ".BASE.sretools-tmp-PID-XXXXXX" (BASE as cut by tmp_template, or
 * any non-empty BASE when base is NULL); sets *pid.
 */
static int match_tmp(const char *name, const char *base, long *pid)
{
	size_t n = strlen(name), i, blen;
	const char *p, *digits;

	if (name[0] != '.' || n < 1 + 1 + TMP_TAG_LEN + 1 + 1 + TMP_RAND_LEN)
		return 0;
	for (i = n - TMP_RAND_LEN; i < n; i++)
		if (!is_alnum(name[i]))
			return 0;
	p = name + n - TMP_RAND_LEN - 1;
	if (*p != '-')
		return 0;
	for (digits = p; digits > name && digits[-1] >= '0' && digits[-1] <= '9'; digits--)
		;
	if (p - digits < 1 || p - digits > 10 || digits - name < (ptrdiff_t)(1 + 1 + TMP_TAG_LEN) ||
	    memcmp(digits - TMP_TAG_LEN, TMP_TAG, TMP_TAG_LEN) != 0)
		return 0;
	blen = (size_t)(digits - TMP_TAG_LEN - (name + 1));
	if (base && (blen != strnlen(base, TMP_BASE_MAX) || memcmp(name + 1, base, blen) != 0))
		return 0;
	*pid = strtol(digits, NULL, 10);
	return *pid > 0 && *pid <= INT_MAX;
}

static int writer_dead(long pid)
{
	return kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

static int clean_in(const char *dir, const char *base, struct srerr *e)
{
	int count = 0, fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return set_errno_err(e, "cannot open directory", dir);
	}
	while ((de = readdir(d)) != NULL) {
		struct stat st;
		long pid;

		if (!match_tmp(de->d_name, base, &pid) ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !(S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) || !writer_dead(pid))
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == 0)
			count++;
		else if (errno != ENOENT) {
			srerr_set(e, "io", "cannot remove '%s/%s': %s", dir, de->d_name,
				  strerror(errno));
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	return count;
}

int fsx_clean_stale(const char *path, struct srerr *e)
{
	char *dir, *base;
	int rc;

	if (split_path(path, &dir, &base, e) < 0)
		return -1;
	rc = clean_in(dir, base, e);
	free(dir);
	free(base);
	return rc;
}

int fsx_clean_stale_dir(const char *dir, struct srerr *e)
{
	if (!dir || !*dir) {
		srerr_set(e, "invalid", "empty directory name");
		return -1;
	}
	return clean_in(dir, NULL, e);
}
