"""How long choosing who to ring takes (Chooser.choose) on a roster of 5,000 professionals.

    .venv/bin/python scripts/bench_routing.py [--people 5000] [--calls 2000] [--seed 0]

The roster is built in Python: people spread over eight US time zones, one to three shifts each
(some past midnight), English, Spanish or both, a few teams, some days off. Half have taken a call
(idle_since), a few are away or busy. Each strategy is timed on the same random instants of 2026,
Spanish and English callers alternating. The budget is a median under 2 ms per choice.
"""
from __future__ import annotations

import argparse
import datetime
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ivr.calls.routing.choose import Chooser, Presence  # noqa: E402
from ivr.calls.routing.roster import BackupLine, Professional, Ringing, Roster  # noqa: E402

UTC = datetime.timezone.utc
ZONES = ("America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles",
         "America/Anchorage", "Pacific/Honolulu", "America/Puerto_Rico")
TEAMS = ("recovery", "youth", "family", "veterans")
BUDGET_MS = 2.0


def random_professional(rng: random.Random, n: int) -> Professional:
    shifts = []
    for _ in range(rng.randint(1, 3)):
        first = rng.randrange(7)
        start = rng.randrange(0, 24 * 4) * 15
        end = (start + rng.choice((4, 6, 8, 10, 12)) * 60) % 1440       # some pass midnight
        shifts.extend(((first + d) % 7, start, end) for d in range(rng.choice((1, 2, 5))))
    languages = rng.choices(({"en"}, {"es"}, {"en", "es"}), weights=(5, 2, 3))[0]
    teams = {"recovery"} if rng.random() < 0.7 else {"recovery", rng.choice(TEAMS)}
    time_off = set()
    if rng.random() < 0.2:
        first = datetime.date(2026, 1, 1) + datetime.timedelta(days=rng.randrange(365))
        time_off = {first + datetime.timedelta(days=d) for d in range(rng.randint(1, 14))}
    return Professional(f"p{n:05d}", f"Professional {n}", f"+1202{n:07d}", frozenset(languages),
                        frozenset(teams), rng.choice(ZONES), tuple(shifts), frozenset(time_off))


def random_presence(rng: random.Random, people) -> Presence:
    ids = [p.id for p in people]
    start = datetime.datetime(2026, 1, 1, tzinfo=UTC).timestamp()
    return Presence(away=frozenset(rng.sample(ids, len(ids) // 20)),
                    busy=frozenset(rng.sample(ids, len(ids) // 20)),
                    idle_since={pid: start + rng.randrange(365 * 86400) for pid in rng.sample(ids, len(ids) // 2)})


def random_instants(rng: random.Random, count: int) -> list:
    start = datetime.datetime(2026, 1, 1, tzinfo=UTC)
    return [start + datetime.timedelta(seconds=rng.randrange(365 * 86400)) for _ in range(count)]


def milliseconds(seconds: list) -> str:
    ms = sorted(s * 1000 for s in seconds)
    p99 = ms[min(len(ms) - 1, round(0.99 * len(ms)))]
    return f"median {statistics.median(ms):6.3f} ms   p99 {p99:6.3f} ms   max {ms[-1]:6.3f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=5_000)
    parser.add_argument("--calls", type=int, default=2_000, help="choices timed per strategy")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    people = tuple(random_professional(rng, n) for n in range(args.people))
    presence = random_presence(rng, people)
    instants = random_instants(rng, args.calls)
    backup = BackupLine("SAMHSA National Helpline", "+18006624357", frozenset({"en", "es"}))
    print(f"{len(people)} professionals, {sum(len(p.shifts) for p in people)} shifts in {len(ZONES)} zones;"
          f" {len(presence.away)} away, {len(presence.busy)} busy, {len(presence.idle_since)} with a last call")

    worst = 0.0
    for strategy in ("simultaneous", "longest-idle"):
        roster = Roster(people, backup, Ringing(strategy), "America/New_York")
        started = time.perf_counter()
        chooser = Chooser(roster)
        built = time.perf_counter() - started
        seconds, rung, reasons = [], 0, {}
        for n, now in enumerate(instants):
            language = "es" if n % 2 else "en"
            started = time.perf_counter()
            choice = chooser.choose(now, presence, language)
            seconds.append(time.perf_counter() - started)
            rung += len(choice.people)
            reasons[choice.reason] = reasons.get(choice.reason, 0) + 1
        worst = max(worst, statistics.median(seconds) * 1000)
        print(f"{strategy:<13} index built in {built * 1000:7.1f} ms;  {len(seconds)} choices:"
              f" {milliseconds(seconds)}   ({rung / len(seconds):.1f} rung on average;"
              f" {', '.join(f'{k} {v}' for k, v in sorted(reasons.items()))})")

    ok = worst < BUDGET_MS
    print(f"{'OK' if ok else 'TOO SLOW'}: median {worst:.3f} ms per choice (budget {BUDGET_MS} ms)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
