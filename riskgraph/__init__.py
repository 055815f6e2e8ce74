"""RiskGraph command line and settings."""
