"""Atomic writes and path guards: deckops writes only inside its output directory and cache."""
from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from .errors import UsageError

READ_LIMIT = 8 * 1024 * 1024  # config, kubeconfig, sidecar: far beyond any real one (a kubeconfig with certs: KBs)


class FileError(UsageError):
    """A path deckops must not read or write as asked (a device, a FIFO, a link, too large): exit 2, one line."""


_KINDS = ((stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a FIFO"),
          (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder"), (stat.S_ISLNK, "a symbolic link"))


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def read_checked(path: Path, what: str, limit: int = READ_LIMIT) -> bytes:
    """A regular file's bytes, up to `limit`: a device (/dev/zero), a FIFO (would block) or a huge file is a
    one-line FileError. Opened non-blocking and checked on the open descriptor, so nothing can swap it."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise FileError(f"{path}: cannot read {what}: {exc.strerror or exc}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise FileError(f"{path}: cannot read {what}: it is {_kind(st.st_mode)}, not a regular file")
        if st.st_size > limit:
            raise FileError(f"{path}: cannot read {what}: {st.st_size} bytes, more than the {limit} allowed")
        with os.fdopen(os.dup(fd), "rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise FileError(f"{path}: cannot read {what}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if len(data) > limit:  # it grew after the check
        raise FileError(f"{path}: cannot read {what}: more than the {limit} bytes allowed")
    return data


def check_target(path: Path) -> None:
    """Outputs go to regular files only. Refused: a device, FIFO, socket or folder (as root, `--output
    /dev/null` replaced /dev/null with a file) and a symbolic link (never written through: a link committed
    to a repo could point anywhere, and rename would silently replace the link instead)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise FileError(f"{path}: cannot write: {exc.strerror or exc}") from None
    if not stat.S_ISREG(st.st_mode):
        raise FileError(f"{path}: refusing to write: it is {_kind(st.st_mode)}, not a regular file")


def make_dir(path: Path, what: str = "output folder") -> Path:
    """mkdir -p, or a one-line FileError (an existing file in the way, no permission)."""
    try:
        Path(path).mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise FileError(f"{path}: cannot create the {what}: a file of that name is in the way") from None
    except OSError as exc:
        raise FileError(f"{path}: cannot create the {what}: {exc.strerror or exc}") from None
    return Path(path)



def cache_home() -> Path:
    """$DECKOPS_CACHE, else $XDG_CACHE_HOME/deckops, else ~/.cache/deckops (read when called)."""
    if os.environ.get("DECKOPS_CACHE"):
        return Path(os.environ["DECKOPS_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "deckops"


CACHE_HOME = cache_home()
KEY_NAME = "render-cache.key"  # (its first user's name; lint's result cache signs with it too)
_KEY: bytes | None = None


def user_key() -> bytes:
    """The user's cache key: 32 random bytes in deckops' cache folder (outside any repo), made on first use.

    Output folders are often committed or come with a pull request; a cache signed with this key is the only
    one trusted, so a cache file from anywhere else cannot make deckops skip rendering, the checks or a lint.
    Where the folder is not writable the key lives for this process only (nothing is reused, nothing is
    trusted)."""
    global _KEY
    if _KEY is None:
        _KEY = _read_key(cache_home() / KEY_NAME) or os.urandom(32)
    return _KEY


def _read_key(path: Path) -> bytes | None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(os.urandom(32))
    except FileExistsError:
        pass
    except OSError:
        return None
    try:
        if not path.is_file():  # a FIFO in its place would block the read
            return None
        with open(path, "rb") as fh:
            data = fh.read(64)
    except OSError:
        return None
    return data if len(data) == 32 else None


def _default_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _mode_for(path: Path) -> int:
    """Keep a rewritten file's mode (a deck under --update); new files get the usual 0666 & ~umask."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        return _default_mode()


def write_atomic(path: Path, data: bytes, durable: bool = True) -> None:
    """Write via a temp file in the same folder + rename: readers never see half a file. durable=False skips
    the fsync, for cache entries that are verified when read (500 fsyncs cost a 500-deck lint 17 s of its 76 s
    while a Go build wrote to the same disk)."""
    path = Path(path)
    check_target(path)
    make_dir(path.parent, "folder")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise FileError(f"{path}: cannot write: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        os.chmod(tmp, _mode_for(path))  # mkstemp makes 0600 files
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def move_atomic(src: Path, dst: Path) -> None:
    """Move a finished file into place (same filesystem: rename; else copy to temp + rename)."""
    check_target(dst)
    make_dir(dst.parent, "folder")
    try:
        os.replace(src, dst)
    except OSError:
        write_atomic(dst, Path(src).read_bytes())
        Path(src).unlink(missing_ok=True)
