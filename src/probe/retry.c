#include <string.h>

#include "retry.h"
#include "banned.h"

int retry_is_retryable(const char *type, const char *code, long status)
{
	if (strcmp(type, "dns") == 0 || strcmp(type, "exec") == 0)
		return 1;
	if (strcmp(code, "dns") == 0 || strcmp(code, "connect") == 0 ||
	    strcmp(code, "timeout") == 0)
		return 1;
	return strcmp(code, "status") == 0 &&
	       (status == 408 || status == 429 || (status >= 500 && status <= 599));
}

int64_t retry_delay_ms(int64_t base_ms, int attempt, double r01, double retry_after_s)
{
	int64_t d = base_ms > 0 ? base_ms : 0, delay;
	/* a base above the usual ceiling is the operator's explicit wish: keep it */
	int64_t cap = d > RETRY_MAX_DELAY_MS ? d : RETRY_MAX_DELAY_MS;

	for (int i = 1; i < attempt && d < cap; i++)
		d *= 2;
	if (d > cap)
		d = cap;
	if (r01 < 0 || r01 >= 1)
		r01 = 0;
	delay = d / 2 + (int64_t)((double)(d - d / 2) * r01);
	if (retry_after_s >= 0) {
		if (retry_after_s * 1000 > RETRY_AFTER_MAX_MS)
			return -1;
		if ((int64_t)(retry_after_s * 1000) > delay)
			delay = (int64_t)(retry_after_s * 1000);
	}
	return delay;
}
