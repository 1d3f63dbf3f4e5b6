"""apidocs: Markdown endpoint definitions to an API reference with snippets that are proven to work."""

__version__ = "0.1.0"
