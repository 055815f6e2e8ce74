"""Investigator and audit features on the analysed graph: search and exploration (``explore``), networks and
enterprise views (``queries``), leads, the analysis report, and cases. Every query takes its jurisdiction rule,
as-of date and case vocabulary from ``graph.scope``."""
