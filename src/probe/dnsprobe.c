#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dnsprobe.h"
#include "tm.h"
#include "banned.h"

#define DNS_THREAD_STACK (256u * 1024)
#define DNS_MAX_ADDRESSES 64

struct dns_job {
	char *name;
	int family;
	void *user;
	int rc;                       /* getaddrinfo's return value */
	int saved_errno;
	char addresses[DNS_MAX_ADDRESSES][INET6_ADDRSTRLEN];
	int naddresses;
	int64_t start_ns, end_ns;
	int abandoned;                /* under job_lock */
};

static pthread_mutex_t job_lock = PTHREAD_MUTEX_INITIALIZER;
static int notify_fds[2] = { -1, -1 };

int dnsprobe_pipe(struct srerr *e)
{
	if (notify_fds[0] == -1 && pipe2(notify_fds, O_CLOEXEC) == -1) {
		srerr_set(e, "io", "cannot create a pipe: %s", strerror(errno));
		return -1;
	}
	/* only the read end is non-blocking: a writer thread waits for room */
	fcntl(notify_fds[0], F_SETFL, O_NONBLOCK);
	return notify_fds[0];
}

static void job_free(struct dns_job *j)
{
	free(j->name);
	free(j);
}

static void collect(struct dns_job *j, const struct addrinfo *list)
{
	for (const struct addrinfo *a = list; a && j->naddresses < DNS_MAX_ADDRESSES; a = a->ai_next) {
		char text[INET6_ADDRSTRLEN];
		int dup = 0;

		if (getnameinfo(a->ai_addr, a->ai_addrlen, text, sizeof(text), NULL, 0,
				NI_NUMERICHOST) != 0)
			continue;
		for (int i = 0; i < j->naddresses; i++)
			dup |= strcmp(j->addresses[i], text) == 0;
		if (!dup)
			memcpy(j->addresses[j->naddresses++], text, sizeof(text));
	}
}

static void *lookup(void *arg)
{
	struct dns_job *j = arg;
	struct addrinfo hints = { 0 }, *list = NULL;
	int abandoned;

	hints.ai_family = j->family == 4 ? AF_INET : j->family == 6 ? AF_INET6 : AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	j->rc = getaddrinfo(j->name, NULL, &hints, &list);
	j->saved_errno = errno;
	j->end_ns = tm_monotonic_ns();
	if (j->rc == 0)
		collect(j, list);
	freeaddrinfo(list);
	pthread_mutex_lock(&job_lock);
	abandoned = j->abandoned;
	pthread_mutex_unlock(&job_lock);
	if (abandoned) {
		job_free(j);
		return NULL;
	}
	while (write(notify_fds[1], &j, sizeof(j)) == -1 && errno == EINTR)
		;
	return NULL;
}

struct dns_job *dnsprobe_start(const char *name, int family, void *user, struct srerr *e)
{
	struct dns_job *j = calloc(1, sizeof(*j));
	pthread_attr_t attr;
	pthread_t tid;
	int rc;

	if (!j || !(j->name = strdup(name))) {
		free(j);
		srerr_set(e, "io", "out of memory");
		return NULL;
	}
	j->family = family;
	j->user = user;
	j->start_ns = tm_monotonic_ns();
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, DNS_THREAD_STACK);
	rc = pthread_create(&tid, &attr, lookup, j);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		job_free(j);
		srerr_set(e, "io", "cannot start a resolver thread: %s", strerror(rc));
		return NULL;
	}
	return j;
}

struct dns_job *dnsprobe_read_done(void)
{
	struct dns_job *j;
	int abandoned;

	/* writes of a pointer are atomic (< PIPE_BUF): a read gets all or nothing */
	while (read(notify_fds[0], &j, sizeof(j)) == (ssize_t)sizeof(j)) {
		pthread_mutex_lock(&job_lock);
		abandoned = j->abandoned;
		pthread_mutex_unlock(&job_lock);
		if (!abandoned)
			return j;
		job_free(j);
	}
	return NULL;
}

void *dnsprobe_user(const struct dns_job *j)
{
	return j->user;
}

static const char *resolver_message(const struct dns_job *j)
{
	if (j->rc == EAI_SYSTEM)
		return strerror(j->saved_errno);
	return gai_strerror(j->rc);
}

int dnsprobe_result(const struct dns_job *j, jv *addresses, double *elapsed_ms,
		    struct srerr *e)
{
	*elapsed_ms = (double)(j->end_ns - j->start_ns) / 1e6;
	*addresses = jv_invalid();
	if (j->rc != 0 || j->naddresses == 0) {
		srerr_set(e, "dns", "cannot resolve '%s': %s", j->name,
			  j->rc ? resolver_message(j) : "no addresses");
		return -1;
	}
	*addresses = jv_array();
	for (int i = 0; i < j->naddresses; i++)
		*addresses = jv_array_append(*addresses, jv_string(j->addresses[i]));
	return 0;
}

void dnsprobe_free(struct dns_job *j)
{
	if (j)
		job_free(j);
}

void dnsprobe_abandon(struct dns_job *j)
{
	/* a finished job's pointer is in the pipe (or on its way there):
	   dnsprobe_read_done frees it; a running one is freed by its thread */
	pthread_mutex_lock(&job_lock);
	j->abandoned = 1;
	pthread_mutex_unlock(&job_lock);
}
