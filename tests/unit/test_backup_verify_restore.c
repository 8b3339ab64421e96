/*
 * backup-verify's restore test: the --validate runner (validate.h) and bv_restore_run
 * on archives made here by GNU tar (restore.h): the directory's lifecycle, the
 * comparison of the restored tree, leftovers of killed runs, and the signal cleanup.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fsx.h"
#include "../../src/backup-verify/manifest.h"
#include "../../src/backup-verify/restore.h"
#include "../../src/backup-verify/validate.h"
#include "banned.h"

/* ---- fixtures ------------------------------------------------------------------------ */

struct fx {
	char *dir;        /* the test's own directory */
	char *tmpdir;     /* $TMPDIR for the code under test: dir/tmp */
	char *src;        /* dir/src: the tree that gets archived */
	char *old_tmpdir;
};

static char *joinp(const char *a, const char *b)
{
	char *p;

	assert_true(asprintf(&p, "%s/%s", a, b) > 0);
	return p;
}

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
	va_list ap;
	char *cmd;
	int rc;

	va_start(ap, fmt);
	assert_true(vasprintf(&cmd, fmt, ap) > 0);
	va_end(ap);
	rc = system(cmd);
	if (rc != 0)
		print_error("command failed (%d): %s\n", rc, cmd);
	free(cmd);
	assert_int_equal(rc, 0);
}

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	const char *t = getenv("TMPDIR");

	assert_non_null(f);
	f->old_tmpdir = t ? strdup(t) : NULL;
	f->dir = fsx_mkdtemp(NULL, "test-bv-restore", NULL);
	assert_non_null(f->dir);
	f->tmpdir = joinp(f->dir, "tmp");
	f->src = joinp(f->dir, "src");
	assert_int_equal(mkdir(f->tmpdir, 0700), 0);
	assert_int_equal(setenv("TMPDIR", f->tmpdir, 1), 0);
	/* a tree with a file, an empty file, a subdirectory, a symlink and a hardlink */
	sh("set -e; cd '%s'; mkdir -p src/sub/deeper; printf 'hello\\n' > src/a.txt; : > src/empty;"
	   " head -c 300000 /dev/urandom > src/sub/big.bin; ln -s ../a.txt src/sub/link;"
	   " ln src/a.txt src/hard.txt; printf x > src/sub/deeper/x", f->dir);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;

	if (f->old_tmpdir)
		setenv("TMPDIR", f->old_tmpdir, 1);
	else
		unsetenv("TMPDIR");
	assert_int_equal(fsx_remove_tree(f->dir, NULL), 0);
	free(f->dir);
	free(f->tmpdir);
	free(f->src);
	free(f->old_tmpdir);
	free(f);
	return 0;
}

/* Number of entries in dir (without . and ..); -1 if it cannot be read. */
static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static int exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

struct seen {
	int n;
	char codes[16][48];
	char paths[16][256];
	char actual[16][64];
};

static void on_problem(void *arg, const char *code, const char *path, const char *expected,
		       const char *actual, const char *message)
{
	struct seen *s = arg;

	(void)expected;
	assert_non_null(message);
	if (s->n < 16) {
		snprintf(s->codes[s->n], sizeof(s->codes[0]), "%s", code);
		snprintf(s->paths[s->n], sizeof(s->paths[0]), "%s", path ? path : "");
		snprintf(s->actual[s->n], sizeof(s->actual[0]), "%s", actual ? actual : "");
	}
	s->n++;
}

static char *make_tar(struct fx *f, const char *name, const char *flags)
{
	char *path = joinp(f->dir, name);

	sh("cd '%s' && tar %s -cf '%s' .", f->src, flags, path);
	return path;
}

/* ---- validate ------------------------------------------------------------------------ */

static void test_excerpt_whole(void **state)
{
	char *x = bv_validate_excerpt("abc", 3, "def", 3, 6);

	(void)state;
	assert_string_equal(x, "abcdef");
	free(x);
	x = bv_validate_excerpt("", 0, "", 0, 0);
	assert_string_equal(x, "");
	free(x);
}

static void test_excerpt_cut(void **state)
{
	char head[BV_VALIDATE_EXCERPT], tail[BV_VALIDATE_EXCERPT];
	char *x;

	(void)state;
	memset(head, 'h', sizeof(head));
	memset(tail, 't', sizeof(tail));
	x = bv_validate_excerpt(head, sizeof(head), tail, sizeof(tail), 10000);
	assert_non_null(strstr(x, "h\n[... 5904 bytes left out ...]\nt"));
	assert_int_equal(strlen(x), 2 * BV_VALIDATE_EXCERPT + strlen("\n[... 5904 bytes left out ...]\n"));
	free(x);
	/* a two-byte character cut at the end of head, one cut at the start of tail */
	memcpy(head + sizeof(head) - 1, "\xc3", 1);
	memcpy(tail, "\xa9\xe2\x82\xac", 4);   /* the end of é, then € */
	x = bv_validate_excerpt(head, sizeof(head), tail, sizeof(tail), 10000);
	assert_non_null(strstr(x, "h\n[... 5906 bytes left out ...]\n\xe2\x82\xac"));
	free(x);
}

static void test_validate_output_and_exit(void **state)
{
	struct fx *f = *state;
	struct bv_validate_result r;
	struct srerr e;

	assert_int_equal(bv_validate_run("echo out; echo err >&2; exit 3", f->dir, 10000, NULL, &r, &e), 0);
	assert_int_equal(r.exit_status, 3);
	assert_int_equal(r.signal, 0);
	assert_int_equal(r.timed_out, 0);
	assert_string_equal(r.output, "out\nerr\n");
	assert_int_equal(r.output_bytes, 8);
	assert_true(r.seconds >= 0);
	bv_validate_result_release(&r);
}

static void test_validate_env_cwd_stdin(void **state)
{
	struct fx *f = *state;
	struct bv_validate_result r;
	struct srerr e;
	char *want;

	setenv("RESTORE_DIR", "/elsewhere", 1);
	assert_int_equal(bv_validate_run("test \"$PWD\" = \"$RESTORE_DIR\" && printf %s \"$RESTORE_DIR\";"
					 " cat; trap - PIPE", f->dir, 10000, NULL, &r, &e), 0);
	unsetenv("RESTORE_DIR");
	assert_int_equal(r.exit_status, 0);
	want = strdup(f->dir);
	assert_string_equal(r.output, want);   /* and cat read nothing: stdin is /dev/null */
	free(want);
	bv_validate_result_release(&r);
}

static void test_validate_signal(void **state)
{
	struct fx *f = *state;
	struct bv_validate_result r;
	struct srerr e;

	assert_int_equal(bv_validate_run("kill -SEGV $$", f->dir, 10000, NULL, &r, &e), 0);
	assert_int_equal(r.exit_status, -1);
	assert_int_equal(r.signal, SIGSEGV);
	assert_int_equal(r.timed_out, 0);
	bv_validate_result_release(&r);
}

/* 1 once process pid has ended (or is a zombie nobody reaped yet), within 5 s. */
static int gone(long pid)
{
	char stat[64], line[256];

	snprintf(stat, sizeof(stat), "/proc/%ld/stat", pid);
	for (int i = 0; i < 500; i++) {
		FILE *fp = fopen(stat, "r");
		int zombie = 0;

		if (!fp)
			return 1;
		if (fgets(line, sizeof(line), fp) && strstr(line, ") Z "))
			zombie = 1;
		fclose(fp);
		if (zombie)
			return 1;
		usleep(10000);
	}
	return 0;
}

static void test_validate_timeout_kills_group(void **state)
{
	struct fx *f = *state;
	struct bv_validate_result r;
	struct srerr e;
	volatile sig_atomic_t pgid = -5;
	char *pidfile = joinp(f->dir, "bg.pid"), *buf = NULL;
	size_t len;
	long pid;

	assert_int_equal(bv_validate_run("echo started; sleep 30 & echo $! > bg.pid; sleep 30",
					 f->dir, 300, &pgid, &r, &e), 0);
	assert_int_equal(pgid, 0);
	assert_int_equal(r.timed_out, 1);
	assert_int_equal(r.signal, SIGKILL);
	assert_string_equal(r.output, "started\n");
	/* the background sleep of the group was killed as well */
	assert_int_equal(fsx_read_file(pidfile, 64, &buf, &len, &e), 0);
	pid = strtol(buf, NULL, 10);
	assert_true(pid > 0);
	assert_true(gone(pid));
	free(buf);
	free(pidfile);
	bv_validate_result_release(&r);
}

static void test_validate_big_output(void **state)
{
	struct fx *f = *state;
	struct bv_validate_result r;
	struct srerr e;

	assert_int_equal(bv_validate_run("head -c 100000 /dev/zero | tr '\\0' a; echo; echo last", f->dir,
					 10000, NULL, &r, &e), 0);
	assert_int_equal(r.exit_status, 0);
	assert_int_equal(r.output_bytes, 100006);
	assert_non_null(strstr(r.output, "\n[... 95910 bytes left out ...]\n"));
	assert_non_null(strstr(r.output, "a\nlast\n"));
	assert_int_equal(strlen(r.output), 4096 + strlen("\n[... 95910 bytes left out ...]\n"));
	bv_validate_result_release(&r);
}

static void test_validate_cannot_start(void **state)
{
	struct fx *f = *state;
	struct bv_validate_result r;
	struct srerr e;
	char *missing = joinp(f->dir, "no-such-dir");

	assert_int_equal(bv_validate_run("true", missing, 1000, NULL, &r, &e), -1);
	assert_string_equal(e.code, "exec_failed");
	bv_validate_result_release(&r);
	free(missing);
}

/* ---- bv_restore_compare -------------------------------------------------------------- */

static void want_add(struct bv_manifest *m, const char *path, enum arc_type t, int64_t size,
		     const char *sha, const char *link)
{
	struct bv_entry be;

	bv_entry_init(&be);
	be.path = (char *)(uintptr_t)path;
	be.type = t;
	be.size = size;
	if (sha)
		snprintf(be.sha256, sizeof(be.sha256), "%s", sha);
	be.link = (char *)(uintptr_t)link;
	assert_int_equal(bv_manifest_add(m, &be, NULL), 0);
}

#define SHA_HELLO "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"
#define SHA_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static int has_problem(const struct seen *s, const char *code, const char *path)
{
	for (int i = 0; i < s->n && i < 16; i++)
		if (!strcmp(s->codes[i], code) && !strcmp(s->paths[i], path))
			return 1;
	return 0;
}

static void test_compare_tree(void **state)
{
	struct fx *f = *state;
	struct bv_manifest want, skip;
	struct seen s = { 0 };
	struct srerr e;
	char *root = joinp(f->dir, "r"), *missing = joinp(f->dir, "nope");

	sh("cd '%s' && mkdir -p r/d && printf 'hello\\n' > r/a && : > r/e && ln -s a r/l && : > r/lock",
	   f->dir);
	bv_manifest_init(&want);
	bv_manifest_init(&skip);
	want_add(&want, "a", ARC_FILE, 6, SHA_HELLO, NULL);
	want_add(&want, "e", ARC_FILE, 0, SHA_EMPTY, NULL);
	want_add(&want, "d", ARC_DIR, -1, NULL, NULL);
	want_add(&want, "l", ARC_SYMLINK, -1, NULL, "a");
	want_add(&want, "fifo", ARC_FIFO, -1, NULL, NULL);   /* never created: not compared */
	assert_int_equal(bv_restore_compare(root, &want, NULL, "lock", on_problem, &s, &e), 0);
	assert_int_equal(s.n, 0);
	/* the lock file counts when it is not named */
	assert_int_equal(bv_restore_compare(root, &want, NULL, NULL, on_problem, &s, &e), 1);
	assert_string_equal(s.codes[0], "restore_extra");
	/* every kind of difference */
	memset(&s, 0, sizeof(s));
	sh("cd '%s/r' && printf 'hellO\\n' > a && echo more > e && rmdir d && : > d && ln -sf e l"
	   " && : > x && rm lock", f->dir);
	want_add(&want, "gone", ARC_FILE, 0, SHA_EMPTY, NULL);
	assert_int_equal(bv_restore_compare(root, &want, NULL, NULL, on_problem, &s, &e), 7);
	assert_true(has_problem(&s, "restore_changed_hash", "a"));
	assert_true(has_problem(&s, "restore_changed_size", "e"));
	assert_true(has_problem(&s, "restore_changed_hash", "e"));
	assert_true(has_problem(&s, "restore_changed_type", "d"));
	assert_true(has_problem(&s, "restore_changed_link", "l"));
	assert_true(has_problem(&s, "restore_missing", "gone"));
	assert_true(has_problem(&s, "restore_extra", "x"));
	/* paths whose writing failed are left out on both sides */
	memset(&s, 0, sizeof(s));
	want_add(&skip, "a", ARC_FILE, -1, NULL, NULL);
	want_add(&skip, "x", ARC_FILE, -1, NULL, NULL);
	want_add(&skip, "gone", ARC_FILE, -1, NULL, NULL);
	assert_int_equal(bv_restore_compare(root, &want, &skip, NULL, on_problem, &s, &e), 4);
	assert_false(has_problem(&s, "restore_changed_hash", "a"));
	/* a tree that cannot be walked */
	assert_int_equal(bv_restore_compare(missing, &want, NULL, NULL, NULL, NULL, &e), -1);
	assert_string_equal(e.code, "io");
	bv_manifest_release(&want);
	bv_manifest_release(&skip);
	free(root);
	free(missing);
}

/* ---- bv_restore_run ------------------------------------------------------------------ */

static void test_restore_ok_removes_dir(void **state)
{
	struct fx *f = *state;
	struct bv_restore_opts o = BV_RESTORE_OPTS_INIT;
	struct bv_restore_result res;
	struct seen s = { 0 };
	struct srerr e;
	char *tar = make_tar(f, "ok.tar.gz", "-z");

	o.validate_cmd = "test -f \"$RESTORE_DIR/sub/big.bin\" && test -L sub/link && cat a.txt";
	assert_int_equal(bv_restore_run(tar, &o, on_problem, &s, &res, &e), 0);
	assert_int_equal(s.n, 0);
	assert_true(res.ok);
	assert_int_equal(res.entries, 9);   /* . a.txt empty hard.txt sub sub/big.bin sub/deeper sub/deeper/x sub/link */
	assert_int_equal(res.bytes, 6 + 300000 + 1);
	assert_int_equal(res.refused, 0);
	assert_true(res.validated);
	assert_int_equal(res.validate_exit, 0);
	assert_string_equal(res.validate_output, "hello\n");
	assert_false(res.kept);
	assert_non_null(strstr(res.dir, "/sretools-backup-verify."));
	assert_false(exists(res.dir));
	assert_int_equal(count_entries(f->tmpdir), 0);
	bv_restore_result_release(&res);
	free(tar);
}

static void test_restore_keep(void **state)
{
	struct fx *f = *state;
	struct bv_restore_opts o = BV_RESTORE_OPTS_INIT;
	struct bv_restore_result res;
	struct srerr e;
	char *tar = make_tar(f, "ok.tar", ""), *p, *top;
	size_t removed = 9;

	o.keep = 1;
	assert_int_equal(bv_restore_run(tar, &o, NULL, NULL, &res, &e), 0);
	assert_true(res.ok);
	assert_true(res.kept);
	p = joinp(res.dir, "sub/big.bin");
	assert_true(exists(p));
	free(p);
	/* no lock is left, so a later run does not take it for a leftover */
	top = strndup(res.dir, strlen(res.dir) - strlen("/root"));
	p = joinp(top, "lock");
	assert_false(exists(p));
	assert_int_equal(bv_restore_clean_stale(NULL, &removed, &e), 0);
	assert_int_equal(removed, 0);
	assert_true(exists(res.dir));
	free(p);
	free(top);
	bv_restore_result_release(&res);
	free(tar);
}

static void test_restore_dir_created_and_removed(void **state)
{
	struct fx *f = *state;
	struct bv_restore_opts o = BV_RESTORE_OPTS_INIT;
	struct bv_restore_result res;
	struct srerr e;
	char *tar = make_tar(f, "ok.tar.xz", "-J"), *dir = joinp(f->dir, "new-dir");

	o.restore_dir = dir;
	o.validate_cmd = "test ! -e " BV_RESTORE_LOCK_NAME " || ls -a";   /* visible: documented */
	assert_int_equal(bv_restore_run(tar, &o, NULL, NULL, &res, &e), 0);
	assert_true(res.ok);
	assert_string_equal(res.dir, dir);
	assert_false(exists(dir));   /* created by the run, so removed by it */
	bv_restore_result_release(&res);
	free(tar);
	free(dir);
}

static void test_restore_dir_existing_empty_kept_itself(void **state)
{
	struct fx *f = *state;
	struct bv_restore_opts o = BV_RESTORE_OPTS_INIT;
	struct bv_restore_result res;
	struct srerr e;
	char *tar = make_tar(f, "ok.tar.zst", "--zstd"), *dir = joinp(f->dir, "mine");

	assert_int_equal(mkdir(dir, 0755), 0);
	o.restore_dir = dir;
	assert_int_equal(bv_restore_run(tar, &o, NULL, NULL, &res, &e), 0);
	assert_true(res.ok);
	assert_true(exists(dir));   /* the user's directory stays, emptied */
	assert_int_equal(count_entries(dir), 0);
	bv_restore_result_release(&res);
	free(tar);
	free(dir);
}

static void test_restore_dir_not_empty(void **state)
{
	struct fx *f = *state;
	struct bv_restore_opts o = BV_RESTORE_OPTS_INIT;
	struct bv_restore_result res;
	struct srerr e;
	char *tar = make_tar(f, "ok.tar", ""), *link = joinp(f->dir, "link-dir");

	o.restore_dir = f->src;
	assert_int_equal(bv_restore_run(tar, &o, NULL, NULL, &res, &e), -1);
	assert_string_equal(e.code, "restore_dir");
	assert_non_null(strstr(e.msg, "is not empty"));
	assert_int_equal(count_entries(f->src), 4);   /* untouched */
	bv_restore_result_release(&res);
	/* a symbolic link to an (empty) directory is refused too */
	assert_int_equal(symlink(f->tmpdir, link), 0);
	o.restore_dir = link;
	assert_int_equal(bv_restore_run(tar, &o, NULL, NULL, &res, &e), -1);
	assert_string_equal(e.code, "restore_dir");
	bv_restore_result_release(&res);
	/* and a file */
	o.restore_dir = tar;
	assert_int_equal(bv_restore_run(tar, &o, NULL, NULL, &res, &e), -1);
	assert_string_equal(e.code, "restore_dir");
	bv_restore_result_release(&res);
	free(link);
	free(tar);
}

static void test_restore_dir_leftover_and_locked(void **state)
{
	struct fx *f = *state;
	struct bv_restore_opts o = BV_RESTORE_OPTS_INIT;
	struct bv_restore_result res;
	struct fsx_lock lk = FSX_LOCK_INIT;
	struct srerr e;
	char *tar = make_tar(f, "ok.tar", ""), *dir = joinp(f->dir, "left"), *lock;

	sh("mkdir '%s' && cd '%s' && mkdir -p a/b && echo x > a/b/c && chmod 500 a && : > " BV_RESTORE_LOCK_NAME,
	   dir, dir);
	lock = joinp(dir, BV_RESTORE_LOCK_NAME);
	/* held by someone: "locked", nothing touched */
	assert_int_equal(fsx_lock_acquire(&lk, lock, FSX_LOCK_NOWAIT, &e), 0);
	o.restore_dir = dir;
	assert_int_equal(bv_restore_run(tar, &o, NULL, NULL, &res, &e), -1);
	assert_string_equal(e.code, "locked");
	assert_int_equal(count_entries(dir), 2);
	bv_restore_result_release(&res);
	fsx_lock_release(&lk);
	/* free: a leftover of a killed run, emptied and used */
	assert_int_equal(bv_restore_run(tar, &o, NULL, NULL, &res, &e), 0);
	assert_true(res.ok);
	assert_int_equal(count_entries(dir), 0);
	bv_restore_result_release(&res);
	free(lock);
	free(dir);
	free(tar);
}

static void test_restore_failures(void **state)
{
	struct fx *f = *state;
	struct bv_restore_opts o = BV_RESTORE_OPTS_INIT;
	struct bv_restore_result res;
	struct seen s = { 0 };
	struct srerr e;
	char *tar = make_tar(f, "t.tar.gz", "-z"), *cut = joinp(f->dir, "cut.tar.gz");

	/* truncated: restore_failed, not compared, not validated */
	sh("head -c 20000 '%s' > '%s'", tar, cut);
	o.validate_cmd = "true";
	assert_int_equal(bv_restore_run(cut, &o, on_problem, &s, &res, &e), 0);
	assert_false(res.ok);
	assert_false(res.validated);
	assert_true(s.n >= 1);
	assert_string_equal(s.codes[0], "restore_failed");
	assert_string_equal(s.actual[0], "truncated");
	assert_int_equal(count_entries(f->tmpdir), 0);
	bv_restore_result_release(&res);
	/* not an archive at all */
	memset(&s, 0, sizeof(s));
	assert_int_equal(bv_restore_run(f->src, &o, on_problem, &s, &res, &e), 0);
	assert_false(res.ok);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.codes[0], "restore_failed");
	bv_restore_result_release(&res);
	/* validate fails */
	memset(&s, 0, sizeof(s));
	o.validate_cmd = "echo 'database disk image is malformed'; exit 11";
	assert_int_equal(bv_restore_run(tar, &o, on_problem, &s, &res, &e), 0);
	assert_false(res.ok);
	assert_int_equal(res.validate_exit, 11);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.codes[0], "validate_failed");
	assert_string_equal(s.actual[0], "11");
	bv_restore_result_release(&res);
	/* validate times out */
	memset(&s, 0, sizeof(s));
	o.validate_cmd = "sleep 20";
	o.validate_timeout_ms = 200;
	assert_int_equal(bv_restore_run(tar, &o, on_problem, &s, &res, &e), 0);
	assert_false(res.ok);
	assert_true(res.validate_timed_out);
	assert_string_equal(s.codes[0], "validate_timeout");
	assert_int_equal(count_entries(f->tmpdir), 0);
	bv_restore_result_release(&res);
	free(cut);
	free(tar);
}

static void test_restore_limits_and_unsafe(void **state)
{
	struct fx *f = *state;
	struct bv_restore_opts o = BV_RESTORE_OPTS_INIT;
	struct bv_restore_result res;
	struct seen s = { 0 };
	struct srerr e;
	char *tar = make_tar(f, "t.tar", ""), *evil = joinp(f->dir, "evil.tar"), *outside;

	o.lim.max_bytes = 1000;
	assert_int_equal(bv_restore_run(tar, &o, on_problem, &s, &res, &e), 0);
	assert_false(res.ok);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.codes[0], "limit");
	assert_int_equal(count_entries(f->tmpdir), 0);
	bv_restore_result_release(&res);
	/* a symlink to outside, then a file written through it: refused, reported */
	outside = joinp(f->dir, "outside");
	assert_int_equal(mkdir(outside, 0700), 0);
	sh("cd '%s' && mkdir evil && ln -s '%s' evil/esc && tar -cf '%s' -C evil esc"
	   " && rm evil/esc && mkdir evil/esc && echo pwned > evil/esc/x && tar -rf '%s' -C evil esc/x",
	   f->dir, outside, evil, evil);
	memset(&s, 0, sizeof(s));
	o.lim.max_bytes = 0;
	assert_int_equal(bv_restore_run(evil, &o, on_problem, &s, &res, &e), 0);
	assert_false(res.ok);
	assert_int_equal(res.refused, 1);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.codes[0], "unsafe_path");
	assert_string_equal(s.paths[0], "esc/x");
	assert_int_equal(count_entries(outside), 0);
	bv_restore_result_release(&res);
	free(outside);
	free(evil);
	free(tar);
}

static void test_clean_stale(void **state)
{
	struct fx *f = *state;
	struct fsx_lock lk = FSX_LOCK_INIT;
	struct srerr e;
	size_t removed = 0;
	char *dead = joinp(f->tmpdir, "sretools-backup-verify.dead01");
	char *live = joinp(f->tmpdir, "sretools-backup-verify.live01");
	char *nolock = joinp(f->tmpdir, "sretools-backup-verify.kept01");
	char *other = joinp(f->tmpdir, "other-dir");
	char *lnk = joinp(f->tmpdir, "sretools-backup-verify.link01");
	char *lock;

	sh("cd '%s' && for d in sretools-backup-verify.dead01 sretools-backup-verify.live01 other-dir; do"
	   " mkdir -p $d/root/sub && echo x > $d/root/sub/f && chmod 500 $d/root/sub && : > $d/lock; done;"
	   " mkdir -p sretools-backup-verify.kept01/root && ln -s other-dir sretools-backup-verify.link01",
	   f->tmpdir);
	lock = joinp(live, "lock");
	assert_int_equal(fsx_lock_acquire(&lk, lock, FSX_LOCK_NOWAIT, &e), 0);
	assert_int_equal(bv_restore_clean_stale(NULL, &removed, &e), 0);
	assert_int_equal(removed, 1);
	assert_false(exists(dead));
	assert_true(exists(live));
	assert_true(exists(nolock));
	assert_true(exists(other));
	assert_true(exists(lnk));
	fsx_lock_release(&lk);
	assert_int_equal(bv_restore_clean_stale(f->tmpdir, NULL, &e), 0);
	assert_false(exists(live));
	/* a parent that cannot be read */
	assert_int_equal(bv_restore_clean_stale("/nonexistent/dir", &removed, &e), -1);
	assert_string_equal(e.code, "io");
	free(lock);
	free(dead);
	free(live);
	free(nolock);
	free(other);
	free(lnk);
}

/* SIGTERM while --validate runs: the handler removes the directory and dies of it. */
static void signal_case(struct fx *f, const char *restore_dir, int keep)
{
	char *tar = make_tar(f, "sig.tar", "");
	pid_t pid;
	int ws;

	sh("cd '%s' && mkdir -p ro/x/y && echo z > ro/x/y/z && chmod 555 ro/x ro/x/y && "
	   "tar -rf '%s' ro && chmod -R u+w ro && rm -r ro", f->src, tar);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct bv_restore_opts o = BV_RESTORE_OPTS_INIT;
		struct bv_restore_result res;
		char *err = joinp(f->dir, "child.err");
		int fd = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (fd < 0 || dup2(fd, 2) < 0)
			_exit(98);
		free(err);

		o.restore_dir = restore_dir;
		o.keep = keep;
		o.validate_cmd = "test -f ro/x/y/z && kill -TERM $PPID; sleep 20";
		bv_restore_run(tar, &o, NULL, NULL, &res, NULL);
		_exit(99);   /* not reached: the signal ends the process */
	}
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	assert_true(WIFSIGNALED(ws));
	assert_int_equal(WTERMSIG(ws), SIGTERM);
	free(tar);
}

static void test_signal_removes_temp_dir(void **state)
{
	struct fx *f = *state;

	signal_case(f, NULL, 0);
	assert_int_equal(count_entries(f->tmpdir), 0);
}

static void test_signal_restore_dir(void **state)
{
	struct fx *f = *state;
	char *mine = joinp(f->dir, "mine"), *made = joinp(f->dir, "made");

	assert_int_equal(mkdir(mine, 0700), 0);
	signal_case(f, mine, 0);
	assert_int_equal(count_entries(mine), 0);   /* emptied, kept: it was the user's */
	signal_case(f, made, 0);
	assert_false(exists(made));                 /* made by the run: removed */
	free(mine);
	free(made);
}

static void test_signal_keep(void **state)
{
	struct fx *f = *state;
	char *kept = joinp(f->dir, "kept"), *lock, *z, *err, *msg;
	size_t removed = 9, len;
	struct srerr e;

	signal_case(f, kept, 1);
	err = joinp(f->dir, "child.err");
	assert_int_equal(fsx_read_file(err, 4096, &msg, &len, &e), 0);
	assert_non_null(strstr(msg, ": kept the restore directory '"));
	assert_non_null(strstr(msg, "/kept'\n"));
	free(msg);
	free(err);
	lock = joinp(kept, BV_RESTORE_LOCK_NAME);
	z = joinp(kept, "ro/x/y/z");
	assert_true(exists(z));
	assert_false(exists(lock));
	signal_case(f, NULL, 1);
	assert_int_equal(count_entries(f->tmpdir), 1);
	assert_int_equal(bv_restore_clean_stale(NULL, &removed, &e), 0);
	assert_int_equal(removed, 0);
	sh("chmod -R u+w '%s' '%s'", kept, f->tmpdir);   /* for the teardown */
	free(lock);
	free(z);
	free(kept);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_excerpt_whole),
		cmocka_unit_test(test_excerpt_cut),
		cmocka_unit_test_setup_teardown(test_validate_output_and_exit, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_validate_env_cwd_stdin, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_validate_signal, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_validate_timeout_kills_group, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_validate_big_output, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_validate_cannot_start, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_compare_tree, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_restore_ok_removes_dir, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_restore_keep, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_restore_dir_created_and_removed, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_restore_dir_existing_empty_kept_itself, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_restore_dir_not_empty, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_restore_dir_leftover_and_locked, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_restore_failures, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_restore_limits_and_unsafe, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_clean_stale, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_signal_removes_temp_dir, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_signal_restore_dir, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_signal_keep, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
