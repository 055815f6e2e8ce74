"""Clearance risk engine: risk parameters (rules), the learned model, the scoring snapshot and scoring."""
