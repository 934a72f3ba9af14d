from tests.notify_servers import http_capture, smtp_plain  # noqa: F401 (fixtures)
