"""The shared core every stage reads: endpoints and documents, path templates, positions, errors.

Nothing here reads files or knows MkDocs; the definitions stage builds these objects and every
other stage consumes them.
"""
