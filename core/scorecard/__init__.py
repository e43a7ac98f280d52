"""The office's monthly scorecard, computed from its own records (never typed in)."""
