"""The plotter <-> NAS transfer: control channel, protocol messages, the hashed stream and sink."""
