from tests.notify_servers import http_capture, silent_server, smtp_plain, smtp_tls  # noqa: F401 (fixtures)
