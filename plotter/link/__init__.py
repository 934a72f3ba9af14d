"""The control link to a NAS: sessions over SSH or local, the handshake deadline, the remote
command's life, the protocol client."""
