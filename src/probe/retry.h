#ifndef PROBE_RETRY_H
#define PROBE_RETRY_H
/*
 * When and after how long a failed attempt is tried again (--retries, --retry-delay).
 *
 * Retryable failures are the transient ones: the name did not resolve (dns), the
 * connection failed (connect), the attempt timed out (timeout), or the response was
 * 408, 429 or 5xx while not expected.  A failed check on a response (body, json,
 * header, latency, certificate), a TLS verification failure or a refused redirect is
 * the target's answer and is never retried.  dns:// and exec probes are retried on
 * any failure, as they have no other way to say "not yet".
 *
 * The delay before attempt n+1 is exponential with "equal jitter": with
 * d = min(base * 2^(n-1), max(base, RETRY_MAX_DELAY_MS)), a delay in [d/2, d], so that many
 * probes failing together do not retry in lockstep.  A Retry-After from the server is
 * a floor on the delay; one longer than RETRY_AFTER_MAX_MS stops retrying (the
 * server asked for more time than a probe waits).
 */
#include <stdint.h>

#define RETRY_DEFAULT_DELAY_MS 1000
#define RETRY_MAX_DELAY_MS 30000
#define RETRY_AFTER_MAX_MS 60000
#define RETRY_MAX 100                 /* the largest --retries accepted */

/* Whether a failure with this record error code (and HTTP status, 0 if none) may be
   retried on a target of this type ("http", "tcp", "tls", "dns", "exec"). */
int retry_is_retryable(const char *type, const char *code, long status);

/*
 * The delay in ms before the attempt after failed attempt number attempt (1-based),
 * from base_ms and a uniform random r01 in [0, 1), at least retry_after_s seconds
 * when that is >= 0.  -1 when Retry-After is beyond RETRY_AFTER_MAX_MS.
 */
int64_t retry_delay_ms(int64_t base_ms, int attempt, double r01, double retry_after_s);

#endif
