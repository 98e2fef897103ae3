"""Routing rules, case lifecycle, SLA clocks and assignment: the pure logic of the closed loop.

`rules`, `lifecycle`, `sla` and `assignment` do no I/O. `casework` applies them to the store through
`cxloop.store.cases`; the pipeline stage (`cxloop.jobs.routing`), the API and the pages call it.
"""
