"""Topic highlighting on the feedback page marks clauses and never lets text become markup."""

from cxloop.web.highlight import highlight_topics


def test_two_aspects_are_marked_with_their_own_sentiment() -> None:
    text = "배송은 빨랐는데 포장이 엉망이에요"
    mentions = [
        {"topic": "delivery", "sentiment": "positive", "score": 0.8, "start": 0, "end": 8},
        {"topic": "packaging", "sentiment": "negative", "score": -0.7, "start": 9, "end": len(text)},
    ]
    html = str(highlight_topics(text, mentions, {"delivery": "배송", "packaging": "포장"}))
    assert '<mark class="aspect s-positive" title="배송 · positive">배송은 빨랐는데</mark>' in html
    assert '<mark class="aspect s-negative" title="포장 · negative">포장이 엉망이에요</mark>' in html


def test_text_and_labels_are_escaped_and_bad_spans_ignored() -> None:
    text = "<script>alert(1)</script> refund"
    mentions = [
        {"topic": "refund", "sentiment": "negative", "score": -0.5, "start": 26, "end": 32},
        {"topic": "x", "sentiment": "negative", "score": -1, "start": 10, "end": 999},
    ]
    html = str(highlight_topics(text, mentions, {"refund": '<b onmouseover="x">'}))
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "<b onmouseover" not in html
    assert html.count("<mark") == 1
