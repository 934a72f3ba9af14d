"""The plotter <-> NAS protocol, version 4: sessions that carry many plots.

Control travels as JSON lines (UTF-8, one object per line, at most 64 KiB) on the
SSH channel (or a local subprocess's stdin/stdout); bulk data travels as raw
bytes on a separate TCP connection. The NAS side is ``drive-manager receive``, one
process per session: it serves requests one after another until the plotter says "bye"
or hangs up, so a session pays for SSH, the NAS process and its data connection once,
not once per plot (:mod:`plotter.link.pool` keeps sessions warm on the plotter).

    NAS -> plotter  {"msg": "hello", "v": 4, "max_v": 4, "host": "nas01", "version": "0.1.0"}
    plotter -> NAS  {"msg": "space", "size": N}                    (optional, repeatable)
    NAS -> plotter  {"msg": "space", "free_bytes": F, "can_take": true, "drives": D}
    plotter -> NAS  {"msg": "offer", "name": "plot-k32-...plot", "size": N, "hash_alg": "xxh3_128",
                     "have": true}
    NAS -> plotter  {"msg": "ready", "seq": S, "drive": "/mnt/.../drive3", "port": P, "token": "<64 hex>"}
    plotter -> NAS  on the session's data connection: the frame header of plot S (common.transfer.frame:
                    "PYD4", S and N), then exactly N bytes
    plotter -> NAS  {"msg": "digest", "hash": "<hex>"}
    NAS -> plotter  {"msg": "stored", "path": "/mnt/.../plot-...plot", "size": N, "hash": "<hex>", "seq": S}
    ... the next "offer", "space", "claim", "lookup" or "place_group" ..., then {"msg": "bye"}

The data connection is opened once per session: "ready" carries ``port`` and ``token`` only when
the session has none (its first plot, or the first after a failed one); the plotter connects to
(data_host, P) and sends the 32 token bytes, and the connection then carries every plot of the
session, each behind its frame. A one-time token opens it, and only the plotter holding it can
write into it, so nobody without the token can write to or block a session. ``seq`` counts the
session's plots from 1: a frame that does not name the plot being received ends the session.

A plot refused before its bytes were asked for ("busy", "exists", "no_space", "bad_name", ...)
costs only itself: after the error the session goes on. An error once "ready" was sent (the
stream, the digest, the commit) or on the control channel ends the session: the NAS exits, and the
plotter opens a new session for its next plot.

Any NAS reply may instead be {"msg": "error", "code": "<kind>", "error": "<one line>"},
after which the NAS exits. "stored" is sent only after the copy was received in full,
hashed while written, fsynced, compared with the plotter's digest, its header read
back and checked against the name and its size against the header's layout (else
code "bad_plot"), renamed from its ``.part`` name and its directory fsynced: it is
the plotter's licence to delete. Names (``.plot`` and, for PoS2, ``.plot2`` and ``.gplot``) are
validated by :func:`common.plotformat.plotfile.parse_name` on both ends (else "bad_name") and
never reach a shell: they travel inside these JSON messages only.

Exactly once across the NAS (:mod:`nas.receive.reservations`). An offer reserves its name NAS-wide
for the receiver; a name another receiver holds right now is answered with code "busy"
(retry later: the plotter keeps its source). An offer of a name some drive already holds is
answered, instead of "ready", with that copy's size and hash (recorded at commit; a copy
without a record is hashed first, announced by "hashing" so the plotter waits longer):

    NAS -> plotter  {"msg": "hashing", "path": "/mnt/.../plot-...plot", "size": N}   (only without a record)
    NAS -> plotter  {"msg": "have", "path": "/mnt/.../plot-...plot", "size": N, "hash": "<hex>"}

after which the session goes on: the plotter hashes its source and deletes it when size and
hash match, and keeps it (exit 6, copies differ) when not. An offer without ``"have": true`` is
answered with the error "exists" instead.

Exactly once across several NAS (:mod:`plotter.send.farm`, :mod:`nas.receive.referee`). A plotter
with several ``[nas …]`` sections first claims the name at its referee NAS (chosen from the name,
:mod:`plotter.send.rendezvous`); the claim is the referee's name reservation, held for as long as
the holder keeps it (until "release", "bye" or the session's end):

    plotter -> referee  {"msg": "claim", "name": ..., "size": N, "hash_alg": "xxh3_128", "have": true}
    referee -> plotter  {"msg": "claimed", "placed": "nas02" | null}   (or "hashing"/"have", or "busy")
    plotter -> NAS      {"msg": "lookup", "name": ..., "size": N}      (every other NAS, each its own session)
    NAS -> plotter      {"msg": "none"}                                 (or "hashing"/"have", or "busy")
    plotter -> referee  {"msg": "keep"}                                 (every 30 s while it waits on others)
    plotter -> referee  {"msg": "place", "nas": "nas02"} -> {"msg": "placed"}   (before sending elsewhere)
    plotter -> referee  "space" and "offer" as above, when the plot goes to the referee itself
    plotter -> referee  {"msg": "release"} -> {"msg": "released"}   (once the plot is stored elsewhere)

"placed" is the referee's ledger: the NAS (the plotter's section name) a claim holder said it was
sending the name to. The claim ends with the plot received by the referee, with "release", or
with the session.

Placement before plotting (:mod:`nas.drives.placement`). A plotter about to plot a PoS2
group with ``meta_group = auto`` asks for a drive and a meta group no group on it uses; the NAS
reserves both in its state (``[nas] placement_ttl``) and answers, ``drive``/``meta_group`` null
when no drive has room:

    plotter -> NAS  {"msg": "place_group", "size": N}
    NAS -> plotter  {"msg": "group_placed", "drive": "/mnt/.../drive3", "meta_group": 7, "expires": T}

The offer of a PoS2 file then carries its header's meta group (``"meta_group": 7``), and the NAS
puts it on the drive placed for that meta group, else on one where it is free, else anywhere.

Code "drive_failing": the receiving drive failed while the plot streamed in (read-only,
I/O error, a dead mount, ENOSPC while statvfs showed room). The NAS removed the
``.part``, marked the drive failing (it is not chosen again) and ends the session; the plotter
offers the same plot again at once, on a new session. A drive that fails before any data was asked for
(its ``.part`` cannot be created) never reaches the plotter: the NAS marks it and
answers the same offer with a "ready" for the next drive.

Whatever bytes arrive, :func:`decode` and the field readers answer with a
:class:`ProtocolError` and nothing else: a line that is too long, not UTF-8 or not JSON,
nested a thousand levels deep, holding an integer of thousands of digits, or a
hash or token that is not lowercase hex.
"""

from __future__ import annotations

import json
import re
from typing import Any

from common.errors import ProtocolError, RemoteError

PROTOCOL_VERSION = 4
OLDEST_VERSION = 4  # sessions: the plotter's only way to send
MAX_LINE = 64 * 1024
TOKEN_BYTES = 32
HASH_ALG = "xxh3_128"
HEX_RE = re.compile(r"[0-9a-f]{1,128}")

Message = dict[str, Any]


def encode(msg: str, **fields: Any) -> bytes:
    return json.dumps({"msg": msg, **fields}, separators=(",", ":")).encode() + b"\n"


def decode(line: bytes) -> Message:
    if not line:
        raise ProtocolError("peer closed the control channel")
    if len(line) > MAX_LINE or not line.endswith(b"\n"):
        raise ProtocolError("control line too long or cut short")
    try:
        obj = json.loads(line)
    except RecursionError:  # the C scanner stops at the recursion limit, well before the C stack ends
        raise ProtocolError("control line nested too deeply to be a protocol message") from None
    except ValueError:  # not UTF-8, not JSON, or an integer of thousands of digits
        shown = line[:80].decode("utf-8", "replace").strip()
        raise ProtocolError(f"peer sent something that is not protocol JSON: {shown!r}") from None
    if not isinstance(obj, dict) or not isinstance(obj.get("msg"), str):
        raise ProtocolError("control message without a 'msg' field")
    return obj


def raise_if_error(message: Message) -> None:
    """Raise the peer's error when ``message`` is an ``error`` reply."""
    if message["msg"] == "error":
        raise RemoteError(str(message.get("error", "unspecified error")), str(message.get("code", "remote")))


def expect(message: Message, kind: str) -> Message:
    """Return ``message`` if it is ``kind``; raise the peer's error or a protocol error."""
    raise_if_error(message)
    if message["msg"] != kind:
        raise ProtocolError(f"expected '{kind}', peer sent '{message['msg']}'")
    return message


def field(message: Message, name: str, kind: type) -> Any:
    value = message.get(name)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise ProtocolError(f"'{message['msg']}' message has no valid '{name}'")
    return value


def hex_field(message: Message, name: str) -> str:
    """A hash or token field: lowercase hex only (never compared or logged as anything else)."""
    value: str = field(message, name, str)
    if not HEX_RE.fullmatch(value):
        raise ProtocolError(f"'{message['msg']}' message has a '{name}' that is not lowercase hex")
    return value
