"""The HTTP API: clearance scoring, exploration, networks, leads, cases, reports and audit. One router per
resource in ``routes/`` (route modules never import each other; what they share is in ``lookups``), a response
model for every JSON answer (``models``), and one error handler for the ``RiskGraphError`` family (``errors``)."""
