"""Opening a user's file without ever blocking on it: regular files only.

``open()`` on a FIFO waits for a writer, forever; a terminal or a device may block too, or never
end (``/dev/zero``). Anything that is not a regular file is refused before it is opened (``stat``),
and the check is repeated on the open descriptor (``fstat``) so a file swapped for a FIFO between
the two is refused as well. The descriptor is opened non-blocking, so even that swap cannot block.
"""

from __future__ import annotations

import os
import stat
from typing import BinaryIO

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class NotRegularFile(OSError):
    """The path names something other than a regular file; ``kind`` says what (``a directory``)."""

    def __init__(self, path: str, kind: str) -> None:
        super().__init__(f"{kind}, not a regular file")
        self.path = path
        self.kind = kind


def kind_of(mode: int) -> str:
    """What a ``st_mode`` names, in words (``a directory``), ``a regular file`` included."""
    if stat.S_ISREG(mode):
        return "a regular file"
    for test, kind in _KINDS:
        if test(mode):
            return kind
    return "not a regular file"


def open_regular(path: str | os.PathLike[str]) -> BinaryIO:
    """Open ``path`` for reading in binary, or raise: ``NotRegularFile`` for anything but a regular
    file (checked before opening and again on the descriptor), ``OSError`` as ``open`` would."""
    name = os.fspath(path)
    mode = os.stat(name).st_mode
    if not stat.S_ISREG(mode):
        raise NotRegularFile(name, kind_of(mode))
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    flags |= getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    descriptor = os.open(name, flags)
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFile(name, kind_of(mode))
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise
