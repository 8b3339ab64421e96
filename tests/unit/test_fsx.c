/* Unit tests of src/lib/fsx: every function's success and error paths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "fsx.h"
#include "srerr.h"
#include "banned.h"

/* A pid above any pid_max (at most 2^22): kill(DEAD_PID, 0) always fails with ESRCH. */
#define DEAD_PID "2147483646"

static char dir[1024];   /* a fresh scratch directory per test */

/* ---- helpers -------------------------------------------------------------------- */

static const char *at(const char *name)
{
	static char bufs[8][PATH_MAX];
	static int next;
	char *p = bufs[next++ % 8];

	snprintf(p, PATH_MAX, "%s/%s", dir, name);
	return p;
}

static void put(const char *path, const char *content)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
}

static char *slurp(const char *path)
{
	char *buf;
	size_t len;
	struct srerr e;

	if (fsx_read_file(path, SIZE_MAX, &buf, &len, &e) < 0)
		fail_msg("slurp %s: %s", path, e.msg);
	return buf;
}

static void assert_content(const char *path, const char *want)
{
	char *got = slurp(path);

	assert_string_equal(got, want);
	free(got);
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	return st.st_mode & 07777;
}

static int exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* Entries of d other than . and .. */
static int count_entries(const char *d)
{
	DIR *dp = opendir(d);
	struct dirent *de;
	int n = 0;

	assert_non_null(dp);
	while ((de = readdir(dp)) != NULL)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(dp);
	return n;
}

static void assert_msg(const struct srerr *e, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void assert_msg(const struct srerr *e, const char *code, const char *fmt, ...)
{
	char want[SRERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(want, sizeof(want), fmt, ap);
	va_end(ap);
	assert_string_equal(e->code, code);
	assert_string_equal(e->msg, want);
}

/* Make writes past max bytes fail with EFBIG (a full disk we can make as root). */
static void limit_file_size(rlim_t max)
{
	struct rlimit rl;

	assert_int_equal(getrlimit(RLIMIT_FSIZE, &rl), 0);
	rl.rlim_cur = max;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl), 0);
}

static int setup(void **state)
{
	const char *t = getenv("TMPDIR");

	(void)state;
	snprintf(dir, sizeof(dir), "%s/test_fsx.XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(dir))
		return -1;
	umask(022);
	fsx_set_write_chunk(0);
	return 0;
}

static int teardown(void **state)
{
	struct srerr e;

	(void)state;
	limit_file_size(RLIM_INFINITY);
	return fsx_remove_tree(dir, &e);
}

/* ---- atomic replace ---------------------------------------------------------------- */

static void test_write_file_new_and_replace(void **state)
{
	struct srerr e;
	const char *f = at("state.json");

	(void)state;
	assert_int_equal(fsx_write_file(f, "one\n", 4, FSX_MODE_KEEP, &e), 0);
	assert_content(f, "one\n");
	assert_int_equal(mode_of(f), 0644);          /* 0666 minus umask 022 */
	assert_int_equal(fsx_write_file(f, "two", 3, FSX_MODE_KEEP, &e), 0);
	assert_content(f, "two");
	assert_int_equal(chmod(f, 0640), 0);
	assert_int_equal(fsx_write_file(f, "three", 5, FSX_MODE_KEEP, &e), 0);
	assert_content(f, "three");
	assert_int_equal(mode_of(f), 0640);          /* kept */
	assert_int_equal(fsx_write_file(f, "", 0, 0600, &e), 0);
	assert_content(f, "");
	assert_int_equal(mode_of(f), 0600);          /* given: applied exactly */
	assert_int_equal(fsx_write_file(f, "x", 1, 0755, &e), 0);
	assert_int_equal(mode_of(f), 0755);          /* no umask on a given mode */
	assert_int_equal(count_entries(dir), 1);     /* no temporary file left */
}

static void test_write_file_replaces_symlink_itself(void **state)
{
	struct srerr e;

	(void)state;
	put(at("real"), "real");
	assert_int_equal(symlink("real", at("link")), 0);
	assert_int_equal(fsx_write_file(at("link"), "new", 3, FSX_MODE_KEEP, &e), 0);
	assert_content(at("real"), "real");
	assert_content(at("link"), "new");
	assert_int_equal(mode_of(at("link")), 0644);
}

static void test_write_file_errors(void **state)
{
	struct srerr e;

	(void)state;
	assert_int_equal(fsx_write_file(at("nodir/f"), "x", 1, FSX_MODE_KEEP, &e), -1);
	assert_msg(&e, "io", "cannot create a temporary file next to '%s': No such file or directory",
		   at("nodir/f"));
	put(at("file"), "data");
	assert_int_equal(fsx_write_file(at("file/f"), "x", 1, 0600, &e), -1);
	assert_msg(&e, "io", "cannot stat '%s': Not a directory", at("file/f"));
	assert_int_equal(mkdir(at("sub"), 0755), 0);
	assert_int_equal(fsx_write_file(at("sub"), "x", 1, FSX_MODE_KEEP, &e), -1);
	assert_msg(&e, "invalid", "'%s' is a directory", at("sub"));
	assert_int_equal(fsx_write_file(at("sub/"), "x", 1, FSX_MODE_KEEP, &e), -1);
	assert_msg(&e, "invalid", "'%s' names a directory, not a file", at("sub/"));
	assert_int_equal(fsx_write_file(at(".."), "x", 1, FSX_MODE_KEEP, &e), -1);
	assert_string_equal(e.code, "invalid");
	assert_int_equal(fsx_write_file("", "x", 1, FSX_MODE_KEEP, &e), -1);
	assert_msg(&e, "invalid", "empty file name");
	assert_int_equal(fsx_write_file("", "x", 1, FSX_MODE_KEEP, NULL), -1);
	assert_content(at("file"), "data");
	assert_int_equal(count_entries(dir), 2);
}

static void test_write_file_write_error_keeps_old(void **state)
{
	static char big[5000];
	struct srerr e;

	(void)state;
	put(at("f"), "old content\n");
	memset(big, 'n', sizeof(big));
	signal(SIGXFSZ, SIG_IGN);
	limit_file_size(1000);
	assert_int_equal(fsx_write_file(at("f"), big, sizeof(big), FSX_MODE_KEEP, &e), -1);
	limit_file_size(RLIM_INFINITY);
	assert_msg(&e, "io", "cannot write '%s': File too large", at("f"));
	assert_content(at("f"), "old content\n");
	assert_int_equal(count_entries(dir), 1);
}

static void test_atomic_stream_commit(void **state)
{
	struct srerr e;
	struct fsx_atomic *a;
	char want[PATH_MAX];
	const char *tmp;
	FILE *fp;

	(void)state;
	put(at("t"), "old");
	a = fsx_atomic_open(at("t"), FSX_MODE_KEEP, &e);
	assert_non_null(a);
	tmp = fsx_atomic_tmp_path(a);
	snprintf(want, sizeof(want), "%s/.t.sretools-tmp-%ld-", dir, (long)getpid());
	assert_memory_equal(tmp, want, strlen(want));
	assert_int_equal(strlen(tmp), strlen(want) + 6);
	assert_true(exists(tmp));
	assert_int_equal(write(fsx_atomic_fd(a), "fd;", 3), 3);
	assert_int_equal(fsx_atomic_write(a, "write;", 6, &e), 0);
	fp = fsx_atomic_stdio(a, &e);
	assert_non_null(fp);
	assert_ptr_equal(fsx_atomic_stdio(a, &e), fp);
	fprintf(fp, "stdio %d;", 42);
	assert_int_equal(fsx_atomic_write(a, "end", 3, &e), 0);
	assert_content(at("t"), "old");               /* nothing visible before commit */
	assert_int_equal(fsx_atomic_commit(a, &e), 0);
	assert_content(at("t"), "fd;write;stdio 42;end");
	assert_int_equal(count_entries(dir), 1);
}

static void test_atomic_abort(void **state)
{
	struct srerr e;
	struct fsx_atomic *a;

	(void)state;
	put(at("t"), "old");
	a = fsx_atomic_open(at("t"), 0600, &e);
	assert_non_null(a);
	assert_int_equal(fsx_atomic_write(a, "new", 3, &e), 0);
	assert_int_equal(mode_of(fsx_atomic_tmp_path(a)), 0600);
	fsx_atomic_abort(a);
	fsx_atomic_abort(NULL);
	assert_content(at("t"), "old");
	assert_int_equal(count_entries(dir), 1);
}

static void test_atomic_commit_rename_fails(void **state)
{
	struct srerr e;
	struct fsx_atomic *a;
	char tmp[PATH_MAX];

	(void)state;
	a = fsx_atomic_open(at("t"), FSX_MODE_KEEP, &e);
	assert_non_null(a);
	snprintf(tmp, sizeof(tmp), "%s", fsx_atomic_tmp_path(a));
	assert_int_equal(mkdir(at("t"), 0755), 0);   /* a directory appears meanwhile */
	assert_int_equal(fsx_atomic_commit(a, &e), -1);
	assert_msg(&e, "io", "cannot rename '%s' to '%s': Is a directory", tmp, at("t"));
	assert_false(exists(tmp));
	assert_int_equal(count_entries(dir), 1);
}

static void test_write_chunk_and_write_all(void **state)
{
	static char data[10000];
	struct srerr e;
	char *got;
	size_t i;
	int fd;

	(void)state;
	for (i = 0; i < sizeof(data) - 1; i++)
		data[i] = (char)('a' + i % 26);
	fsx_set_write_chunk(7);
	assert_int_equal(fsx_write_file(at("c"), data, sizeof(data) - 1, FSX_MODE_KEEP, &e), 0);
	fsx_set_write_chunk(0);
	got = slurp(at("c"));
	assert_string_equal(got, data);
	free(got);
	fd = open(at("c"), O_RDONLY);
	assert_int_equal(fsx_write_all(fd, "x", 1, "c", &e), -1);
	assert_msg(&e, "io", "cannot write 'c': Bad file descriptor");
	close(fd);
	assert_int_equal(fsx_fsync_dir(dir, &e), 0);
	assert_int_equal(fsx_fsync_dir(at("none"), &e), -1);
	assert_msg(&e, "io", "cannot open directory '%s': No such file or directory", at("none"));
}

/* ---- durable append ------------------------------------------------------------------ */

static void test_append_basic(void **state)
{
	struct srerr e;
	const char *l = at("ledger.ndjson");

	(void)state;
	assert_int_equal(fsx_append(l, "{\"n\":1}\n", 8, &e), 0);
	assert_int_equal(mode_of(l), 0644);
	assert_int_equal(fsx_append(l, "{\"n\":2}\n", 8, &e), 0);
	assert_int_equal(fsx_append(l, "\n", 1, &e), 0);
	assert_content(l, "{\"n\":1}\n{\"n\":2}\n\n");
	assert_int_equal(fsx_append(l, "no newline", 10, &e), -1);
	assert_msg(&e, "invalid", "record for '%s' does not end in a newline", l);
	assert_int_equal(fsx_append(l, "", 0, &e), -1);
	assert_string_equal(e.code, "invalid");
	assert_int_equal(fsx_append(l, "two\nlines\n", 10, &e), -1);
	assert_msg(&e, "invalid", "record for '%s' holds more than one line", l);
	assert_content(l, "{\"n\":1}\n{\"n\":2}\n\n");
}

static void test_append_repairs_torn_tail(void **state)
{
	static char big[20010];
	struct srerr e;
	char *want;

	(void)state;
	put(at("l1"), "a\nb\npart");
	assert_int_equal(fsx_append(at("l1"), "c\n", 2, &e), 0);
	assert_content(at("l1"), "a\nb\nc\n");
	put(at("l2"), "torn record without any newline");
	assert_int_equal(fsx_append(at("l2"), "x\n", 2, &e), 0);
	assert_content(at("l2"), "x\n");
	/* a torn tail longer than one backward read block */
	memcpy(big, "a\n", 2);
	memset(big + 2, 'z', sizeof(big) - 3);
	big[sizeof(big) - 1] = '\0';
	put(at("l3"), big);
	assert_int_equal(fsx_append(at("l3"), "c\n", 2, &e), 0);
	assert_content(at("l3"), "a\nc\n");
	/* a newline exactly at a block boundary from the end */
	memset(big, 'y', sizeof(big) - 1);
	big[sizeof(big) - 1 - 8192 - 1] = '\n';
	put(at("l4"), big);
	assert_int_equal(fsx_append(at("l4"), "c\n", 2, &e), 0);
	want = slurp(at("l4"));
	assert_int_equal(strlen(want), sizeof(big) - 1 - 8192 + 2);
	assert_string_equal(want + strlen(want) - 3, "\nc\n");
	free(want);
}

static void test_append_errors(void **state)
{
	static char rec[501];
	struct srerr e;

	(void)state;
	put(at("file"), "x");
	assert_int_equal(fsx_append(at("file/l"), "r\n", 2, &e), -1);
	assert_msg(&e, "io", "cannot open '%s': Not a directory", at("file/l"));
	assert_int_equal(fsx_append(dir, "r\n", 2, &e), -1);
	assert_msg(&e, "io", "cannot open '%s': Is a directory", dir);
	assert_int_equal(mkfifo(at("fifo"), 0600), 0);
	assert_int_equal(fsx_append(at("fifo"), "r\n", 2, &e), -1);
	assert_msg(&e, "invalid", "'%s' is not a regular file", at("fifo"));
	/* a write that fails half-way is taken back */
	put(at("l"), "a\n");
	memset(rec, 'r', sizeof(rec) - 1);
	rec[sizeof(rec) - 1] = '\n';
	signal(SIGXFSZ, SIG_IGN);
	limit_file_size(100);
	assert_int_equal(fsx_append(at("l"), rec, sizeof(rec), &e), -1);
	limit_file_size(RLIM_INFINITY);
	assert_msg(&e, "io", "cannot write '%s': File too large", at("l"));
	assert_content(at("l"), "a\n");
}

static void test_ledger_valid_len_and_read(void **state)
{
	static const struct { const char *content; off_t valid; } cases[] = {
		{ "", 0 }, { "abc", 0 }, { "\n", 1 }, { "a\nb", 2 }, { "a\nb\n", 4 },
	};
	struct srerr e;
	char *buf;
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int fd;

		put(at("l"), cases[i].content);
		fd = open(at("l"), O_RDONLY);
		assert_int_equal(fsx_ledger_valid_len(fd, "l", &e), cases[i].valid);
		close(fd);
		assert_int_equal(fsx_ledger_read(at("l"), 100, &buf, &len, &e), 0);
		assert_int_equal(len, (size_t)cases[i].valid);
		assert_memory_equal(buf, cases[i].content, len);
		assert_int_equal(buf[len], '\0');
		free(buf);
	}
	assert_int_equal(fsx_ledger_valid_len(-1, "l", &e), -1);
	assert_msg(&e, "io", "cannot stat 'l': Bad file descriptor");
	put(at("l"), "0123456789\n");
	assert_int_equal(fsx_read_file(at("l"), 11, &buf, &len, &e), 0);
	assert_int_equal(len, 11);
	free(buf);
	assert_int_equal(fsx_ledger_read(at("l"), 10, &buf, &len, &e), -1);
	assert_msg(&e, "limit", "'%s' is larger than 10 bytes", at("l"));
	assert_int_equal(fsx_ledger_read(at("none"), 10, &buf, &len, &e), -1);
	assert_msg(&e, "notfound", "cannot open '%s': No such file or directory", at("none"));
	assert_int_equal(fsx_read_file(dir, 10, &buf, &len, &e), -1);
	assert_msg(&e, "io", "cannot read '%s': Is a directory", dir);
}

/* ---- locks ----------------------------------------------------------------------- */

/*
 * A child that takes the lock at path, says so on the ready pipe, and holds it until
 * the go pipe closes.  Returns its pid; *go is the pipe end to close.
 */
static pid_t lock_holder(const char *path, int *go_fd)
{
	int ready[2], go[2];
	pid_t pid;
	char c;

	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(go), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct fsx_lock lk = FSX_LOCK_INIT;

		close(ready[0]);
		close(go[1]);
		if (fsx_lock_acquire(&lk, path, FSX_LOCK_NOWAIT, NULL) < 0)
			_exit(3);
		if (write(ready[1], "k", 1) != 1 || read(go[0], &c, 1) != 0)
			_exit(4);
		fsx_lock_release(&lk);
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);
	*go_fd = go[1];
	return pid;
}

static void test_lock_contention_names_holder(void **state)
{
	struct fsx_lock lk = FSX_LOCK_INIT;
	struct srerr e;
	char want[256], *content;
	pid_t child;
	int status, go;

	(void)state;
	child = lock_holder(at("lock"), &go);
	content = slurp(at("lock"));
	snprintf(want, sizeof(want), "pid=%ld prog=test_fsx since=", (long)child);
	assert_memory_equal(content, want, strlen(want));
	assert_int_equal(content[strlen(content) - 1], '\n');
	assert_int_equal(content[strlen(content) - 2], 'Z');
	free(content);
	assert_int_equal(mode_of(at("lock")), 0600);
	assert_int_equal(fsx_lock_acquire(&lk, at("lock"), FSX_LOCK_NOWAIT, &e), -1);
	assert_string_equal(e.code, "locked");
	snprintf(want, sizeof(want), "'%s' is locked by pid %ld (test_fsx since ", at("lock"),
		 (long)child);
	assert_memory_equal(e.msg, want, strlen(want));
	assert_int_equal(e.msg[strlen(e.msg) - 1], ')');
	assert_int_equal(lk.fd, -1);
	/* A lock dies with its process. */
	assert_int_equal(kill(child, SIGKILL), 0);
	assert_int_equal(waitpid(child, &status, 0), child);
	close(go);
	assert_int_equal(fsx_lock_acquire(&lk, at("lock"), FSX_LOCK_NOWAIT, &e), 0);
	content = slurp(at("lock"));
	snprintf(want, sizeof(want), "pid=%ld prog=test_fsx since=", (long)getpid());
	assert_memory_equal(content, want, strlen(want));
	free(content);
	fsx_lock_release(&lk);
	assert_content(at("lock"), "");
	fsx_lock_release(&lk);                        /* harmless twice */
	assert_int_equal(lk.fd, -1);
}

static void test_lock_wait(void **state)
{
	struct fsx_lock lk = FSX_LOCK_INIT;
	struct srerr e;
	int go[2], ready[2], status;
	pid_t pid;
	char c;

	(void)state;
	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(ready), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct fsx_lock held = FSX_LOCK_INIT;

		close(go[1]);
		if (fsx_lock_acquire(&held, at("lock"), FSX_LOCK_WAIT, NULL) < 0 ||
		    write(ready[1], "k", 1) != 1 || read(go[0], &c, 1) != 0)
			_exit(3);
		fsx_lock_release(&held);
		_exit(0);
	}
	close(go[0]);
	close(ready[1]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(go[1]);   /* the child releases now, maybe before, maybe after we ask */
	assert_int_equal(fsx_lock_acquire(&lk, at("lock"), FSX_LOCK_WAIT, &e), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	fsx_lock_release(&lk);
	close(ready[0]);
}

static void test_lock_same_process_and_errors(void **state)
{
	struct fsx_lock a = FSX_LOCK_INIT, b = FSX_LOCK_INIT;
	struct srerr e;
	char want[256];
	int fd;

	(void)state;
	/* flock locks belong to open files, so a second acquire in one process conflicts */
	assert_int_equal(fsx_lock_acquire(&a, at("lock"), FSX_LOCK_NOWAIT, &e), 0);
	assert_int_equal(fsx_lock_acquire(&b, at("lock"), FSX_LOCK_NOWAIT, &e), -1);
	snprintf(want, sizeof(want), "'%s' is locked by pid %ld (test_fsx since ", at("lock"),
		 (long)getpid());
	assert_memory_equal(e.msg, want, strlen(want));
	fsx_lock_release(&a);
	/* a holder that wrote no line */
	fd = open(at("lock"), O_RDWR);
	assert_int_equal(flock(fd, LOCK_EX), 0);
	assert_int_equal(fsx_lock_acquire(&b, at("lock"), FSX_LOCK_NOWAIT, &e), -1);
	assert_msg(&e, "locked", "'%s' is locked by another process", at("lock"));
	close(fd);
	put(at("file"), "x");
	assert_int_equal(fsx_lock_acquire(&b, at("file/lock"), FSX_LOCK_NOWAIT, &e), -1);
	assert_msg(&e, "io", "cannot open lock file '%s': Not a directory", at("file/lock"));
	assert_int_equal(symlink("file", at("link")), 0);
	assert_int_equal(fsx_lock_acquire(&b, at("link"), FSX_LOCK_NOWAIT, &e), -1);
	assert_msg(&e, "io", "cannot open lock file '%s': Too many levels of symbolic links",
		   at("link"));
	assert_int_equal(fsx_lock_acquire(&b, at("lock"), 7, &e), -1);
	assert_msg(&e, "invalid", "invalid lock flags 7 for '%s'", at("lock"));
	assert_int_equal(b.fd, -1);
}

/* ---- symlink swap ------------------------------------------------------------------- */

static void test_symlink_swap(void **state)
{
	struct srerr e;
	char buf[PATH_MAX];
	ssize_t n;

	(void)state;
	assert_int_equal(mkdir(at("releases"), 0755), 0);
	assert_int_equal(fsx_symlink_swap("releases/1", at("current"), &e), 0);
	n = readlink(at("current"), buf, sizeof(buf) - 1);
	assert_int_equal(n, 10);
	assert_memory_equal(buf, "releases/1", 10);
	assert_int_equal(fsx_symlink_swap("releases/2", at("current"), &e), 0);
	n = readlink(at("current"), buf, sizeof(buf) - 1);
	assert_int_equal(n, 10);
	assert_memory_equal(buf, "releases/2", 10);
	assert_int_equal(count_entries(dir), 2);
}

static void test_symlink_swap_refusals(void **state)
{
	struct srerr e;

	(void)state;
	assert_int_equal(mkdir(at("d"), 0755), 0);
	put(at("d/keep"), "k");
	assert_int_equal(fsx_symlink_swap("elsewhere", at("d"), &e), -1);
	assert_msg(&e, "exists", "'%s' is a directory, not a symbolic link", at("d"));
	assert_content(at("d/keep"), "k");
	put(at("f"), "f");
	assert_int_equal(fsx_symlink_swap("elsewhere", at("f"), &e), -1);
	assert_msg(&e, "exists", "'%s' is a file, not a symbolic link", at("f"));
	assert_content(at("f"), "f");
	assert_int_equal(fsx_symlink_swap("x", at("nodir/l"), &e), -1);
	assert_msg(&e, "io", "cannot create a temporary symbolic link next to '%s': No such file or directory",
		   at("nodir/l"));
	assert_int_equal(fsx_symlink_swap("x", at("f/l"), &e), -1);
	assert_msg(&e, "io", "cannot stat '%s': Not a directory", at("f/l"));
	assert_int_equal(fsx_symlink_swap("", at("l"), &e), -1);
	assert_msg(&e, "invalid", "empty symbolic link target for '%s'", at("l"));
	assert_int_equal(fsx_symlink_swap("x", at("d/"), &e), -1);
	assert_string_equal(e.code, "invalid");
	assert_int_equal(count_entries(dir), 2);
}

/* ---- temp dirs and removal ------------------------------------------------------------- */

static void test_mkdtemp(void **state)
{
	struct srerr e;
	char want[PATH_MAX], *p, *saved = getenv("TMPDIR") ? strdup(getenv("TMPDIR")) : NULL;

	(void)state;
	p = fsx_mkdtemp(dir, "unit", &e);
	assert_non_null(p);
	snprintf(want, sizeof(want), "%s/sretools-unit.", dir);
	assert_memory_equal(p, want, strlen(want));
	assert_int_equal(strlen(p), strlen(want) + 6);
	assert_int_equal(mode_of(p), 0700);
	free(p);
	umask(0277);                                  /* would make mkdtemp's dir 0500 */
	assert_int_equal(setenv("TMPDIR", dir, 1), 0);
	p = fsx_mkdtemp(NULL, "a_B-9", &e);
	umask(022);
	assert_non_null(p);
	snprintf(want, sizeof(want), "%s/sretools-a_B-9.", dir);
	assert_memory_equal(p, want, strlen(want));
	assert_int_equal(mode_of(p), 0700);
	free(p);
	assert_null(fsx_mkdtemp(NULL, "a/b", &e));
	assert_msg(&e, "invalid",
		   "invalid temporary directory prefix 'a/b': expected letters, digits, '_' or '-'");
	assert_null(fsx_mkdtemp(NULL, "", &e));
	assert_string_equal(e.code, "invalid");
	assert_null(fsx_mkdtemp(NULL, NULL, &e));
	assert_string_equal(e.code, "invalid");
	assert_null(fsx_mkdtemp(at("none"), "x", &e));
	assert_msg(&e, "io", "cannot create a temporary directory in '%s': No such file or directory",
		   at("none"));
	assert_int_equal(setenv("TMPDIR", at("none"), 1), 0);
	assert_null(fsx_mkdtemp(NULL, "x", &e));
	assert_string_equal(e.code, "io");
	if (saved)
		setenv("TMPDIR", saved, 1);
	else
		unsetenv("TMPDIR");
	free(saved);
	assert_int_equal(count_entries(dir), 2);
}

static void test_mkdtemp_default_tmp(void **state)
{
	struct srerr e;
	const char *saved = getenv("TMPDIR");
	char *keep = saved ? strdup(saved) : NULL, *p;

	(void)state;
	assert_int_equal(setenv("TMPDIR", "", 1), 0);
	p = fsx_mkdtemp(NULL, "unit", &e);
	assert_non_null(p);
	assert_memory_equal(p, "/tmp/sretools-unit.", 19);
	assert_int_equal(rmdir(p), 0);
	free(p);
	if (keep)
		setenv("TMPDIR", keep, 1);
	else
		unsetenv("TMPDIR");
	free(keep);
}

static void test_remove_tree_never_follows_links(void **state)
{
	struct srerr e;

	(void)state;
	assert_int_equal(mkdir(at("outside"), 0755), 0);
	put(at("outside/keep"), "keep");
	assert_int_equal(mkdir(at("t"), 0755), 0);
	assert_int_equal(mkdir(at("t/sub"), 0755), 0);
	assert_int_equal(mkdir(at("t/sub/deeper"), 0755), 0);
	assert_int_equal(mkdir(at("t/empty"), 0755), 0);
	put(at("t/f1"), "1");
	put(at("t/sub/f2"), "2");
	put(at("t/sub/deeper/f3"), "3");
	assert_int_equal(symlink("../outside", at("t/link_dir")), 0);
	assert_int_equal(symlink(at("outside"), at("t/sub/abs_link")), 0);
	assert_int_equal(symlink("../../outside/keep", at("t/sub/link_file")), 0);
	assert_int_equal(mkfifo(at("t/sub/fifo"), 0600), 0);
	assert_int_equal(chmod(at("t/sub/deeper"), 0500), 0);
	assert_int_equal(fsx_remove_tree(at("t"), &e), 0);
	assert_false(exists(at("t")));
	assert_content(at("outside/keep"), "keep");
	/* a link given as the root is removed as a link */
	assert_int_equal(symlink("outside", at("root_link")), 0);
	assert_int_equal(fsx_remove_tree(at("root_link/"), &e), 0);
	assert_false(exists(at("root_link")));
	assert_content(at("outside/keep"), "keep");
	/* a plain file; a missing path */
	put(at("plain"), "p");
	assert_int_equal(fsx_remove_tree(at("plain"), &e), 0);
	assert_false(exists(at("plain")));
	assert_int_equal(fsx_remove_tree(at("plain"), &e), 0);
	assert_int_equal(fsx_remove_tree(at("nodir/x"), &e), 0);
	assert_int_equal(count_entries(dir), 1);
}

static void test_remove_tree_deep_and_wide(void **state)
{
	struct srerr e;
	char name[16];
	int i, fd = open(dir, O_RDONLY | O_DIRECTORY);

	(void)state;
	/* 600 levels: more than a recursive walk holding one fd per level would like */
	for (i = 0; i < 600; i++) {
		int next;

		assert_int_equal(mkdirat(fd, "d", 0755), 0);
		next = openat(fd, "d", O_RDONLY | O_DIRECTORY);
		assert_true(next >= 0);
		close(fd);
		fd = next;
		close(openat(fd, "file", O_WRONLY | O_CREAT, 0644));
	}
	close(fd);
	assert_int_equal(mkdir(at("w"), 0755), 0);
	for (i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "w/%d", i);
		assert_int_equal(mkdir(at(name), 0755), 0);
		snprintf(name, sizeof(name), "w/%d/f", i);
		put(at(name), "f");
	}
	assert_int_equal(fsx_remove_tree(at("d"), &e), 0);
	assert_int_equal(fsx_remove_tree(at("w"), &e), 0);
	assert_int_equal(count_entries(dir), 0);
}

static void test_remove_tree_errors(void **state)
{
	static const char *refused[] = { "", "/", "//", ".", "..", "a/.", "a/..", "./", "../" };
	struct srerr e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		assert_int_equal(fsx_remove_tree(refused[i], &e), -1);
		assert_msg(&e, "invalid", "refusing to remove '%s'", refused[i]);
	}
	assert_int_equal(fsx_remove_tree(NULL, &e), -1);
	assert_string_equal(e.code, "invalid");
	put(at("file"), "x");
	assert_int_equal(fsx_remove_tree(at("file/x"), &e), -1);
	assert_msg(&e, "io", "cannot open directory '%s': Not a directory", at("file"));
	assert_content(at("file"), "x");
}

/* ---- stale temporary files ---------------------------------------------------------------- */

static void make_files(const char *const *names)
{
	for (; *names; names++)
		put(at(*names), "t");
}

static void test_clean_stale_ours_only(void **state)
{
	static const char *const dead[] = {
		".data.sretools-tmp-" DEAD_PID "-AbC123",
		NULL,
	};
	static const char *const kept[] = {
		"data",
		".data.sretools-tmp-" DEAD_PID "-AbC12",
		".data.sretools-tmp-" DEAD_PID "-AbC12!",
		".data.sretools-tmp-" DEAD_PID "-AbC1234",
		".data.sretools-tmp-x-AbC123",
		".data.sretools-tmp--AbC123",
		".data.sretools-tmp-0-AbC123",
		".data.sretools-tmp-99999999999-AbC123",
		"data.sretools-tmp-" DEAD_PID "-AbC123",
		".data.tmp-" DEAD_PID "-AbC123",
		".sretools-tmp-" DEAD_PID "-AbC123",
		".dat.sretools-tmp-" DEAD_PID "-AbC123",
		".data.sretools-tmp-" DEAD_PID "-AbC123.bak",
		NULL,
	};
	struct srerr e;
	char alive[64];
	size_t i;

	(void)state;
	make_files(dead);
	make_files(kept);
	snprintf(alive, sizeof(alive), ".data.sretools-tmp-%ld-AbC123", (long)getpid());
	put(at(alive), "mine");
	assert_int_equal(symlink("gone", at(".data.sretools-tmp-" DEAD_PID "-LnK999")), 0);
	assert_int_equal(mkdir(at(".data.sretools-tmp-" DEAD_PID "-Dir123"), 0755), 0);
	assert_int_equal(fsx_clean_stale(at("data"), &e), 2);
	assert_false(exists(at(dead[0])));
	assert_false(exists(at(".data.sretools-tmp-" DEAD_PID "-LnK999")));
	for (i = 0; kept[i]; i++)
		assert_true(exists(at(kept[i])));
	assert_true(exists(at(alive)));
	assert_true(exists(at(".data.sretools-tmp-" DEAD_PID "-Dir123")));
	assert_int_equal(fsx_clean_stale(at("data"), &e), 0);
	/* the directory-wide form also takes other targets' temporary files */
	assert_int_equal(fsx_clean_stale_dir(dir, &e), 1);
	assert_false(exists(at(".dat.sretools-tmp-" DEAD_PID "-AbC123")));
	assert_true(exists(at(alive)));
	assert_int_equal(count_entries(dir), 14);
}

static void test_clean_stale_killed_writer(void **state)
{
	struct srerr e;
	struct fsx_atomic *mine;
	int status;
	pid_t pid;

	(void)state;
	put(at("state"), "old");
	mine = fsx_atomic_open(at("state"), FSX_MODE_KEEP, &e);
	assert_non_null(mine);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* a writer killed before its commit */
		if (!fsx_atomic_open(at("state"), FSX_MODE_KEEP, NULL))
			_exit(3);
		kill(getpid(), SIGKILL);
		_exit(4);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	assert_int_equal(count_entries(dir), 3);
	assert_int_equal(fsx_clean_stale(at("state"), &e), 1);
	assert_int_equal(count_entries(dir), 2);
	assert_true(exists(fsx_atomic_tmp_path(mine)));  /* a live writer's stays */
	assert_int_equal(fsx_atomic_write(mine, "new", 3, &e), 0);
	assert_int_equal(fsx_atomic_commit(mine, &e), 0);
	assert_content(at("state"), "new");
}

static void test_clean_stale_long_names_and_errors(void **state)
{
	struct srerr e;
	struct fsx_atomic *a;
	char base[251], tmpname[300];
	const char *slash;

	(void)state;
	memset(base, 'n', sizeof(base) - 1);
	base[sizeof(base) - 1] = '\0';
	a = fsx_atomic_open(at(base), FSX_MODE_KEEP, &e);
	assert_non_null(a);
	slash = strrchr(fsx_atomic_tmp_path(a), '/');
	assert_int_equal(strlen(slash + 1), 1 + 200 + strlen(".sretools-tmp-") +
			 (size_t)snprintf(tmpname, sizeof(tmpname), "%ld", (long)getpid()) + 7);
	fsx_atomic_abort(a);
	snprintf(tmpname, sizeof(tmpname), ".%.200s.sretools-tmp-" DEAD_PID "-AbC123", base);
	put(at(tmpname), "t");
	assert_int_equal(fsx_clean_stale(at(base), &e), 1);
	assert_int_equal(fsx_clean_stale(at("nodir/x"), &e), -1);
	assert_msg(&e, "io", "cannot open directory '%s': No such file or directory", at("nodir"));
	assert_int_equal(fsx_clean_stale(at("x/"), &e), -1);
	assert_string_equal(e.code, "invalid");
	assert_int_equal(fsx_clean_stale_dir("", &e), -1);
	assert_msg(&e, "invalid", "empty directory name");
	assert_int_equal(fsx_clean_stale_dir(at("nodir"), &e), -1);
	assert_string_equal(e.code, "io");
	assert_int_equal(count_entries(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_write_file_new_and_replace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_file_replaces_symlink_itself, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_file_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_file_write_error_keeps_old, setup, teardown),
		cmocka_unit_test_setup_teardown(test_atomic_stream_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_atomic_abort, setup, teardown),
		cmocka_unit_test_setup_teardown(test_atomic_commit_rename_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_chunk_and_write_all, setup, teardown),
		cmocka_unit_test_setup_teardown(test_append_basic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_append_repairs_torn_tail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_append_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ledger_valid_len_and_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_contention_names_holder, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_wait, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_same_process_and_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_swap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_swap_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mkdtemp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mkdtemp_default_tmp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove_tree_never_follows_links, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove_tree_deep_and_wide, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove_tree_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clean_stale_ours_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clean_stale_killed_writer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clean_stale_long_names_and_errors, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
