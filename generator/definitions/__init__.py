"""Reading definitions: Markdown with front matter, Liquid, kramdown parameter lists and pasted
snippets, into the model (`loader.py`); audiences decide who sees which page."""
