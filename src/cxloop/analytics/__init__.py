"""Analytics over the store: volumes and trends now; the KPI catalog and journeys build on it."""
