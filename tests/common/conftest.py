from tests.notify_servers import http_capture, silent_server, smtp_plain, smtp_ssl, smtp_tls  # noqa: F401
