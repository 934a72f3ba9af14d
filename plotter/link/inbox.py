"""The NAS's messages on one session, read by one thread and sorted.

A session carries the next plot while the previous one is committed on the NAS, so two things wait
on one control channel: the request being answered (any reply) and each plot whose digest was sent
(its "stored", or its error, both naming the plot's ``seq``). The inbox's reader thread hands each
message to whichever waits for it. When the channel ends, every waiter gets the reason.
"""

from __future__ import annotations

import logging
import queue
import threading
import time

from common.errors import AppError, PeerTimeoutError, ProtocolError, TransferError
from common.transfer import protocol
from common.transfer.channel import LineChannel

log = logging.getLogger(__name__)

IDLE_READ = 3600.0  # the reader's wait between messages (an idle warm session says nothing)
COMMIT_KINDS = ("stored", "error")

Item = protocol.Message | AppError


class Inbox:
    def __init__(self, chan: LineChannel, name: str) -> None:
        self._chan = chan
        self._replies: queue.Queue[Item] = queue.Queue()
        self._commits: dict[int, queue.Queue[Item]] = {}
        self._lock = threading.Condition()
        self._ended: AppError | None = None
        self._thread = threading.Thread(target=self._run, name=f"inbox-{name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def expect_commit(self, seq: int) -> queue.Queue[Item]:
        """Where plot ``seq``'s "stored" or error will be put (register before sending its digest)."""
        box: queue.Queue[Item] = queue.Queue(maxsize=1)
        with self._lock:
            if self._ended is not None:
                box.put(self._ended)
            else:
                self._commits[seq] = box
        return box

    def reply(self, timeout: float) -> protocol.Message:
        """The next message that is not a plot's commit; raises the channel's end."""
        try:
            item = self._replies.get(timeout=timeout)
        except queue.Empty:
            raise PeerTimeoutError(f"peer sent nothing for {timeout:.0f} s") from None
        if isinstance(item, AppError):
            self._replies.put(item)  # every later read ends the same way
            raise item
        return item

    def wait_commits(self, timeout: float) -> None:
        """Until no plot waits for its commit, or ``timeout`` seconds (a session is closed only then)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._commits and self._ended is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                self._lock.wait(left)

    def _run(self) -> None:
        while True:
            try:
                line = self._chan.read_line(IDLE_READ)
            except PeerTimeoutError:
                continue
            except AppError as exc:
                self._end(exc)
                return
            if not line:
                self._end(TransferError("the NAS ended the session"))
                return
            try:
                message = protocol.decode(line)
            except ProtocolError as exc:
                self._end(exc)
                return
            self._sort(message)

    def _sort(self, message: protocol.Message) -> None:
        seq = message.get("seq")
        if message["msg"] in COMMIT_KINDS and isinstance(seq, int) and not isinstance(seq, bool):
            with self._lock:
                box = self._commits.pop(seq, None)
                self._lock.notify_all()
            if box is not None:
                box.put(message)
            else:  # its waiter gave up: that plot was kept, and the next session sorts it out
                log.debug("a late %r for plot %d of the session", message["msg"], seq)
            return
        self._replies.put(message)

    def _end(self, reason: AppError) -> None:
        with self._lock:
            self._ended = reason
            boxes, self._commits = list(self._commits.values()), {}
            self._lock.notify_all()
        for box in boxes:
            box.put(reason)
        self._replies.put(reason)
