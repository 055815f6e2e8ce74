"""Sample data, apart from production code: the generator of a realistic labelled year of declarations with
planted risks (``generator``, ``riskgraph generate`` and the demo) and small named scenarios whose right answer
is obvious (``scenarios``, for tests and docs)."""
