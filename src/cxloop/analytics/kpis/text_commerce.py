"""Text and commerce KPIs: sentiment index, complaints per 1,000 orders, conversion, repurchase, AOV.

Commerce KPIs read the event types the demo and the importers use: `visit`, `product_view`,
`add_to_cart`, `checkout` (browsing) and `purchase` (an order; its `value` is the order amount).
"""

from __future__ import annotations

import ibis

from cxloop.analytics.kpis.base import CUSTOMER_TIER, DimensionSource, KpiImplementation, Measure, column
from cxloop.analytics.kpis.survey import FEEDBACK_COLUMNS, FEEDBACK_DIMENSIONS, feedback_facts
from cxloop.analytics.warehouse import Warehouse
from cxloop.domain import SOLICITED_CHANNELS

PURCHASE = "purchase"
BROWSING = ("visit", "product_view", "add_to_cart", "checkout")

_SEGMENT = {"segment": DimensionSource(CUSTOMER_TIER, "customer_id")}
_EVENT_DIMENSIONS = {"channel": column("channel"), **_SEGMENT}
_EVENT_COLUMNS = ("customer_id", "type", "channel", "occurred_at", "value")


def _sentiment(wh: Warehouse) -> ibis.Table:
    def polarity(f: ibis.Table) -> ibis.Value:
        return ibis.cases((f.sentiment_label == "positive", 1), (f.sentiment_label == "negative", -1), else_=0)

    return feedback_facts(wh, lambda f: f.sentiment_label.notnull(), x=polarity)


def _complaints_per_order(wh: Warehouse) -> ibis.Table:
    f = wh.table("feedback")
    complaints = f.filter((f.sentiment_label == "negative") & ~f.channel.isin(SOLICITED_CHANNELS))
    e = wh.table("events")
    orders = e.filter(e.type == PURCHASE)
    one, zero = ibis.literal(1, "int64"), ibis.literal(0, "int64")
    return complaints.select(at=complaints.occurred_at, customer_id=complaints.customer_id, num=one, den=zero).union(
        orders.select(at=orders.occurred_at, customer_id=orders.customer_id, num=zero, den=one)
    )


def _conversion(wh: Warehouse) -> ibis.Table:
    e = wh.table("events")
    rows = e.filter(e.customer_id.notnull() & e.type.isin((*BROWSING, PURCHASE)))
    return rows.select(
        at=rows.occurred_at,
        customer_id=rows.customer_id,
        channel=rows.channel,
        who=rows.customer_id,
        den=rows.type != PURCHASE,
        num=rows.type == PURCHASE,
    )


def _repurchase(wh: Warehouse) -> ibis.Table:
    e = wh.table("events")
    purchases = e.filter(e.customer_id.notnull() & (e.type == PURCHASE))
    # Each customer's first purchase ever, before any period filter: a purchase after it is a repeat.
    first = purchases.group_by("customer_id").aggregate(first_at=purchases.occurred_at.min())
    joined = purchases.join(first, "customer_id")
    return joined.select(
        at=joined.occurred_at,
        customer_id=joined.customer_id,
        channel=joined.channel,
        who=joined.customer_id,
        den=ibis.literal(True),
        num=joined.occurred_at > joined.first_at,
    )


def _order_value(wh: Warehouse) -> ibis.Table:
    e = wh.table("events")
    rows = e.filter((e.type == PURCHASE) & e.value.notnull())
    return rows.select(at=rows.occurred_at, customer_id=rows.customer_id, channel=rows.channel, x=rows.value)


_EVENTS = {"events": _EVENT_COLUMNS}

TEXT_COMMERCE_KPIS = (
    KpiImplementation(
        "sentiment_index",
        Measure("mean", 100.0, (-100.0, 100.0)),
        _sentiment,
        FEEDBACK_DIMENSIONS,
        {"feedback": (*FEEDBACK_COLUMNS, "sentiment_label")},
    ),
    KpiImplementation(
        "complaint_rate",
        Measure("ratio", 1000.0),
        _complaints_per_order,
        _SEGMENT,
        {"feedback": (*FEEDBACK_COLUMNS, "sentiment_label"), **_EVENTS},
    ),
    KpiImplementation("conversion_rate", Measure("customer_share", 100.0), _conversion, _EVENT_DIMENSIONS, _EVENTS),
    KpiImplementation("repurchase_rate", Measure("customer_share", 100.0), _repurchase, _EVENT_DIMENSIONS, _EVENTS),
    KpiImplementation("average_order_value", Measure("mean"), _order_value, _EVENT_DIMENSIONS, _EVENTS),
)
