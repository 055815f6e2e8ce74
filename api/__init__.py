"""The HTTP API: clearance scoring, exploration, leads, cases and reports."""
