#!/usr/bin/env python3
"""prom-data.py: OpenMetrics test data with known counts, for slo-budget's Prometheus tests.

    prom-data.py [--start EPOCH] [--minutes N] > data.om
    promtool tsdb create-blocks-from openmetrics data.om DIR

Every counter is scraped every 20 seconds, at 10, 30 and 50 seconds past each minute,
so no sample ever sits on a minute boundary and the window of increase(x[1m])
evaluated at a whole minute T, (T - 1m, T], holds exactly three samples.  Prometheus
extrapolates their two deltas (over 40 s) to the 60 s window by 60/40 = 1.5, exactly
representable, so a counter that grows by INC per scrape gives exactly 3 * INC per
minute, and a window of M whole minutes exactly 3 * INC * M.  (Counters never start
below INC/2, so Prometheus' extrapolation toward zero never cuts a window short.)

Minute m is (START + 60 m, START + 60 (m + 1)]; the data covers minutes 0 .. N-1, so
"now" = START + 60 N is the last instant with data.  Families (default START
2026-11-01T00:00:00Z, N 1440 = one day):

  steady_requests_total{code="200"}  +1999 per scrape    5997 per minute
  steady_requests_total{code="500"}  +1                     3 per minute
      total 6000/min, error ratio 0.0005 (burn rate 0.5 at 99.9)
  reset_requests_total{code="200"}   +99                  297 per minute
  reset_requests_total{code="500"}   +1                     3 per minute
      both restart from 0 twice: inside minute 720 (between its 2nd and 3rd scrape)
      and between minutes 1080 and 1081; total 300/min, error ratio 0.01
  gap_requests_total{code="200"}     +999                2997 per minute
  gap_requests_total{code="500"}     +1                     3 per minute
      no scrapes at all in minutes 360..419 (one hour); the counters keep counting
      meanwhile, as a service whose scrapes failed would
  spike_requests_total{code="200"}   +2000, in the last 60 minutes +1970
  spike_requests_total{code="500"}   0,     in the last 60 minutes +30 (90 per minute)
      total 6000/min; over the last hour error ratio 0.015 (burn rate 15 at 99.9)
"""

import argparse
import sys

START_DEFAULT = 1793491200  # 2026-11-01T00:00:00Z
OFFSETS = (10, 30, 50)


def steady(inc):
    return lambda m: inc


def spike(before, during, minutes):
    return lambda m: during if m >= minutes - 60 else before


FAMILIES = {
    # family: [(labels, first value, increment per scrape in minute m)], resets, gaps
    "steady_requests": {
        "series": [('code="200"', 10000, steady(1999)), ('code="500"', 10000, steady(1))],
    },
    "reset_requests": {
        "series": [('code="200"', 5000, steady(99)), ('code="500"', 50, steady(1))],
        # (minute, scrape index): the counter restarts from 0 just before that scrape
        "resets": [(720, 2), (1081, 0)],
    },
    "gap_requests": {
        "series": [('code="200"', 1000, steady(999)), ('code="500"', 1000, steady(1))],
        "gaps": [(360, 420)],
    },
    "spike_requests": {
        "series": [('code="200"', 100000, None), ('code="500"', 0, None)],
        "spike": True,
    },
}


def samples(start, minutes, first, inc, resets, gaps):
    """(time, value) of one counter: value grows by inc(m) at each scrape of minute m."""
    value = first
    for m in range(minutes):
        for i, off in enumerate(OFFSETS):
            value = inc(m) if (m, i) in resets else value + inc(m)
            if any(lo <= m < hi for lo, hi in gaps):
                continue
            yield start + 60 * m + off, value


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--start", type=int, default=START_DEFAULT)
    ap.add_argument("--minutes", type=int, default=1440)
    args = ap.parse_args()
    if args.start % 60 or args.minutes < 61:
        ap.error("--start must be a whole minute and --minutes at least 61")
    out = sys.stdout
    for family, spec in FAMILIES.items():
        out.write("# TYPE %s counter\n" % family)
        for labels, first, inc in spec["series"]:
            if spec.get("spike"):
                inc = (spike(2000, 1970, args.minutes) if labels == 'code="200"'
                       else spike(0, 30, args.minutes))
            # the first scrape already shows one increment
            for t, v in samples(args.start, args.minutes, first - inc(0), inc,
                                set(spec.get("resets", [])), spec.get("gaps", [])):
                out.write("%s_total{%s} %d %d\n" % (family, labels, v, t))
    out.write("# EOF\n")


if __name__ == "__main__":
    main()
