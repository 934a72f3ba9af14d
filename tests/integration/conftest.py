"""Fixtures the integration tests share with the notify tests."""

from tests.notify_servers import http_capture  # noqa: F401 (fixture)
