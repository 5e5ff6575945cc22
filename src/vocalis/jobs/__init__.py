"""Background jobs (async speech-to-text today; dubbing and cloning later) with persisted state."""

from vocalis.jobs.runner import JobContext, JobRunner

__all__ = ["JobContext", "JobRunner"]
