"""coopstats: reproducible reporting for NAV–county cooperation trials."""

__version__ = "0.1.0"
