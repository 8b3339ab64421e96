#include <stdio.h>
#include <string.h>

#include "progress.h"
#include "tm.h"
#include "banned.h"

#define NS_PER_MS 1000000LL
#define LINE_MAX_LEN 512

int bv_progress_wanted(enum bv_progress_mode mode, int stderr_tty, uint64_t total)
{
	if (mode != BV_PROGRESS_AUTO)
		return mode == BV_PROGRESS_ON;
	return stderr_tty && total > BV_PROGRESS_MIN_BYTES;
}

void bv_human_bytes(char *buf, size_t size, double bytes)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB" };
	size_t u = 0;

	if (bytes < 1024) {
		snprintf(buf, size, "%.0f B", bytes);
		return;
	}
	bytes /= 1024;
	while (bytes >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		bytes /= 1024;
		u++;
	}
	snprintf(buf, size, "%.1f %s", bytes, units[u]);
}

/* h:mm:ss, or m:ss under an hour */
static void clock_text(char *buf, size_t size, double secs)
{
	long s = secs > 0 && secs < 1e8 ? (long)(secs + 0.5) : 0;

	if (s >= 3600)
		snprintf(buf, size, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
	else
		snprintf(buf, size, "%ld:%02ld", s / 60, s % 60);
}

void bv_progress_format(char *buf, size_t size, const char *label, uint64_t done,
			uint64_t total, int64_t elapsed_ns)
{
	char d[32], t[32], r[32], eta[32];
	double secs = (double)elapsed_ns / 1e9, rate = secs > 0 ? (double)done / secs : 0;

	bv_human_bytes(d, sizeof(d), (double)done);
	bv_human_bytes(r, sizeof(r), rate);
	if (!total) {
		snprintf(buf, size, "%s: %s, %s/s", label, d, r);
		return;
	}
	bv_human_bytes(t, sizeof(t), (double)total);
	if (rate > 0 && done <= total)
		clock_text(eta, sizeof(eta), (double)(total - done) / rate);
	else
		snprintf(eta, sizeof(eta), "?");
	snprintf(buf, size, "%s: %s of %s (%.0f%%), %s/s, ETA %s", label, d, t,
		 done >= total ? 100.0 : (double)done * 100.0 / (double)total, r, eta);
}

void bv_progress_start(struct bv_progress *p, FILE *fp, int tty, const char *label,
		       uint64_t total)
{
	memset(p, 0, sizeof(*p));
	p->fp = fp;
	p->tty = tty;
	p->label = label;
	p->total = total;
	p->start_ns = p->last_ns = tm_monotonic_ns();
}

static void show(struct bv_progress *p, int64_t now)
{
	char line[LINE_MAX_LEN];
	size_t len;

	bv_progress_format(line, sizeof(line), p->label, p->done, p->total, now - p->start_ns);
	len = strlen(line);
	/* blank what is left of a longer earlier line */
	fprintf(p->fp, "\r%s%*s", line, p->last_len > len ? (int)(p->last_len - len) : 0, "");
	fflush(p->fp);
	p->last_len = len;
	p->last_ns = now;
	p->shown = 1;
}

void bv_progress_update(struct bv_progress *p, uint64_t done)
{
	int64_t now;

	if (!p->fp)
		return;
	p->done = done;
	now = tm_monotonic_ns();
	if (now - p->last_ns >= BV_PROGRESS_INTERVAL_MS * NS_PER_MS)
		show(p, now);
}

void bv_progress_end(struct bv_progress *p)
{
	if (!p->fp)
		return;
	if (p->tty) {
		if (p->shown)
			fprintf(p->fp, "\r%*s\r", (int)p->last_len, "");
	} else {
		show(p, tm_monotonic_ns());
		fputc('\n', p->fp);
	}
	fflush(p->fp);
	p->fp = NULL;
}
