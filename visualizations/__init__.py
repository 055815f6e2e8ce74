"""Link charts and reports that work without internet access."""
