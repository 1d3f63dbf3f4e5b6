"""The project's settings: the `apidocs` options of mkdocs.yml (`options.py`), the plain data
every stage takes (`settings.py`) and the one way to read them (`loading.py`)."""
