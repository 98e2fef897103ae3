"""Emotion flow: how customers feel at each journey stage, and where the experience turns bad.

Per stage (awareness → … → renewal/churn) from the feedback tagged with that stage: volume,
sentiment index (positive share minus negative share, ×100, over items with a sentiment), NPS (from
NPS answers given at that stage) and the topics most often mentioned negatively. The turning point is
the first stage, in journey order, whose sentiment index falls below zero after a stage that was not.
"""

from __future__ import annotations

import itertools
from typing import Any

import ibis
from ibis import _

from cxloop.analytics.journeys._common import Period, share, within
from cxloop.analytics.warehouse import Warehouse
from cxloop.domain import JourneyStage

STAGES = tuple(stage.value for stage in JourneyStage)
TOP_TOPICS = 3
#: Below this many items a stage's index is too noisy to call a turning point on.
MIN_VOLUME = 5


def sentiment_aggregates(table: ibis.Table) -> dict[str, ibis.Value]:
    """Counts the sentiment index and NPS are computed from; shared with event impact."""
    return {
        "volume": table.count(),
        "positive": (table.sentiment_label == "positive").sum(),
        "negative": (table.sentiment_label == "negative").sum(),
        "scored": table.sentiment_label.notnull().sum(),
        "nps_answers": (table.survey_type == "nps").sum(),
        "promoters": ((table.survey_type == "nps") & (table.score >= 9)).sum(),
        "detractors": ((table.survey_type == "nps") & (table.score <= 6)).sum(),
    }


def sentiment_index(row: dict[str, Any]) -> float | None:
    scored = int(row.get("scored") or 0)
    if not scored:
        return None
    return round(100.0 * (int(row["positive"] or 0) - int(row["negative"] or 0)) / scored, 1)


def nps(row: dict[str, Any]) -> float | None:
    answers = int(row.get("nps_answers") or 0)
    if not answers:
        return None
    return round(100.0 * (int(row["promoters"] or 0) - int(row["detractors"] or 0)) / answers, 1)


def emotion_flow(wh: Warehouse, *, period: Period | None = None, offset_minutes: int = 0) -> dict[str, Any]:
    start, end = (period or Period()).utc_bounds(offset_minutes)
    feedback = within(wh.table("feedback"), "occurred_at", start, end).filter(_.journey_stage.notnull())
    per_stage = {
        r["journey_stage"]: r for r in wh.rows(feedback.group_by("journey_stage").agg(**sentiment_aggregates(feedback)))
    }

    topics = wh.table("feedback_topics").filter(_.sentiment == "negative")
    tagged = feedback.select(fid=_.id, stage=_.journey_stage)
    complaints = topics.join(tagged, topics.feedback_id == tagged.fid).group_by(["stage", "topic"]).agg(n=_.count())
    ranked = complaints.mutate(rank=ibis.row_number().over(group_by=_.stage, order_by=[ibis.desc(_.n), _.topic]))
    top: dict[str, list[dict[str, Any]]] = {}
    for row in wh.rows(ranked.filter(_.rank < TOP_TOPICS).order_by(["stage", "rank"])):
        top.setdefault(row["stage"], []).append({"topic": row["topic"], "mentions": int(row["n"])})

    stages = []
    for stage in STAGES:
        row = per_stage.get(stage, {})
        volume = int(row.get("volume") or 0)
        stages.append(
            {
                "stage": stage,
                "volume": volume,
                "sentiment_index": sentiment_index(row) if row else None,
                "negative_share": share(row.get("negative"), row.get("scored")) if row else None,
                "nps": nps(row) if row else None,
                "nps_answers": int(row.get("nps_answers") or 0),
                "top_complaints": top.get(stage, []),
            }
        )
    turning = turning_point(stages)
    for item in stages:
        item["turning_point"] = item["stage"] == turning
    return {"stages": stages, "turning_point": turning, "empty": not per_stage}


def turning_point(stages: list[dict[str, Any]]) -> str | None:
    """The first stage whose index goes negative after a non-negative one (stages with too little
    feedback are skipped); failing that, the stage with the steepest drop into negative territory."""
    scored = [s for s in stages if s["sentiment_index"] is not None and s["volume"] >= MIN_VOLUME]
    for before, after in itertools.pairwise(scored):
        if before["sentiment_index"] >= 0 > after["sentiment_index"]:
            return str(after["stage"])
    drops = [
        (before["sentiment_index"] - after["sentiment_index"], after["stage"])
        for before, after in itertools.pairwise(scored)
        if after["sentiment_index"] < 0 and after["sentiment_index"] < before["sentiment_index"]
    ]
    return str(max(drops)[1]) if drops else None
