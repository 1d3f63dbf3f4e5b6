"""OpenAPI: publish the definitions as an OpenAPI 3.1 document (`export.py`, `schemas.py`),
so Redoc, Scalar, SDK generators and contract testers read the same API the pages show."""
