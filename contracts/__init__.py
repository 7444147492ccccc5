"""The conformance suite: pytest + schemathesis + jsonschema against a base URL (see conftest.py)."""
