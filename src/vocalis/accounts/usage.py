"""Character usage statistics (`GET /v1/usage/character-stats`) bucketed by time and broken down."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta, timezone

from vocalis.errors import InvalidRequest
from vocalis.store.tables import UsageEvent

INTERVAL_SECONDS = {"hour": 3600, "day": 86400, "week": 7 * 86400}
BREAKDOWNS = {
    "none": None,
    "voice": "voice_id",
    "model": "model_id",
    "api_keys": "key_id",
    "all_api_keys": "key_id",
}
METRICS = {"credits", "request_count"}


def _bucket_start(moment: int, interval: str, origin: int, bucket_size: int | None) -> int:
    if bucket_size:
        return origin + (moment - origin) // bucket_size * bucket_size
    if interval == "cumulative":
        return origin
    if interval == "month":
        when = datetime.fromtimestamp(moment, timezone.utc)
        return int(datetime(when.year, when.month, 1, tzinfo=timezone.utc).timestamp())
    size = INTERVAL_SECONDS[interval]
    return moment // size * size


def _all_buckets(start: int, end: int, interval: str, bucket_size: int | None) -> list[int]:
    buckets: list[int] = []
    moment = _bucket_start(start, interval, start, bucket_size)
    while moment < end:
        buckets.append(moment)
        if interval == "cumulative" and not bucket_size:
            break
        if interval == "month" and not bucket_size:
            when = datetime.fromtimestamp(moment, timezone.utc)
            moment = int((when.replace(day=28) + timedelta(days=4)).replace(day=1).timestamp())
        else:
            moment += bucket_size or INTERVAL_SECONDS[interval]
    return buckets


def character_stats(
    events: list[UsageEvent],
    *,
    start_unix_ms: int,
    end_unix_ms: int,
    breakdown_type: str,
    aggregation_interval: str,
    aggregation_bucket_size: int | None,
    metric: str,
) -> tuple[list[int], dict[str, list[float]]]:
    """Return (bucket start times in ms, {breakdown key: values per bucket})."""
    if breakdown_type not in BREAKDOWNS:
        raise InvalidRequest(
            f"breakdown_type {breakdown_type!r} is not available here; use one of {sorted(BREAKDOWNS)}.",
            code="invalid_parameters",
        )
    if metric not in METRICS:
        raise InvalidRequest(
            f"metric {metric!r} is not recorded by this server; use one of {sorted(METRICS)}.",
            code="invalid_parameters",
        )
    if aggregation_interval not in {*INTERVAL_SECONDS, "month", "cumulative"}:
        raise InvalidRequest("aggregation_interval must be hour, day, week, month or cumulative.")
    if end_unix_ms <= start_unix_ms:
        raise InvalidRequest("end_unix must be after start_unix.", code="invalid_parameters")
    start, end = start_unix_ms // 1000, end_unix_ms // 1000
    buckets = _all_buckets(start, end, aggregation_interval, aggregation_bucket_size)
    index = {bucket: position for position, bucket in enumerate(buckets)}
    attribute = BREAKDOWNS[breakdown_type]
    usage: dict[str, list[float]] = defaultdict(lambda: [0.0] * len(buckets))
    for event in events:
        bucket = _bucket_start(event.time_unix, aggregation_interval, start, aggregation_bucket_size)
        if bucket not in index:
            continue
        key = "All" if attribute is None else str(getattr(event, attribute) or "unknown")
        usage[key][index[bucket]] += event.characters if metric == "credits" else 1
    if not usage:
        usage["All"] = [0.0] * len(buckets)
    return [bucket * 1000 for bucket in buckets], dict(usage)
