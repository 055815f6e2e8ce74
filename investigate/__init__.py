"""Investigator and audit features on the analysed graph: search and exploration (``explore``), networks and
enterprise views (``queries``), leads, the analysis report, and cases. ``scope`` holds what every query
shares: the jurisdiction rule, the as-of date and the case vocabulary."""
