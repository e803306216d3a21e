"""The page's language."""

from __future__ import annotations

import re


def page_language(root, title: str) -> str:
    """The page's language subtag (<html lang="de-AT"> → "de"); "ar" for Arabic script, else ""."""
    lang = (root.get("lang") or root.get("xml:lang") or "").strip().lower()
    if lang:
        return lang.replace("_", "-").split("-", 1)[0][:8]
    return "ar" if re.search("[\u0600-\u06ff]", title) else ""
