"""Rendering the model: the request a page documents (`request.py`), per-language escaping
(`quoting.py`), the snippet templates (`snippets.py`), and each page's Markdown and the nav
(`pages.py`, `nav.py`). No MkDocs here, so any Markdown engine can build the result."""
