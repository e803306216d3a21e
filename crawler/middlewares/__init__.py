"""Downloader middlewares for a hostile web (issue 12): robots.txt per RFC 9309, a redirect policy, the
reasons a request failed. Enabled in ``crawler/settings.py``."""
