"""Journey analytics on the portable Ibis layer: funnels, paths, cohort retention, emotion flow per
journey stage and event impact. Every function takes a `Warehouse` and runs on any of its engines."""

from __future__ import annotations

from cxloop.analytics.journeys._common import Period, Window, parse_steps, parse_window
from cxloop.analytics.journeys.cohorts import cohort_retention
from cxloop.analytics.journeys.emotion import emotion_flow
from cxloop.analytics.journeys.funnels import DIMENSIONS, funnel
from cxloop.analytics.journeys.impact import METRICS, event_impact
from cxloop.analytics.journeys.paths import top_paths

__all__ = [
    "DIMENSIONS",
    "METRICS",
    "Period",
    "Window",
    "cohort_retention",
    "emotion_flow",
    "event_impact",
    "funnel",
    "parse_steps",
    "parse_window",
    "top_paths",
]
