"""Organisers' statistics: the counters the workers keep, the dashboard, the per-MP report,
the "did your MP reply?" follow-up, the exports and the stats API."""
