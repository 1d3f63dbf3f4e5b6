"""The MkDocs side: the plugin (thin glue over the model and rendering), `build`, `serve` with
the sandbox and proxy on the same origin, and the WSGI→ASGI bridge that mounts the sandbox."""
