"""Reading the Jekyll tree and writing the project without ever leaving either.

The tree is untrusted: a link may say `{{ site.baseurl }}/../../etc/passwd`, a file or folder
may be a symbolic link to anywhere. So every source path is checked component by component
(no `..` out of SRC, no symbolic link on the way) and opened with O_NOFOLLOW; every destination
is created one folder at a time from DEST with O_NOFOLLOW, so a symbolic link planted in DEST
(or swapped in while importing) is refused rather than followed. Symbolic links inside SRC are
never followed, even those pointing inside it: the report lists each of them.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import stat
from pathlib import Path, PurePosixPath


class UnsafePath(Exception):
    """A path that would leave SRC or DEST, or pass through a symbolic link."""


def _parts(relative: str) -> list[str]:
    """The components of a path relative to a root, refused if it could leave the root."""
    if "\0" in relative or "\\" in relative:
        raise UnsafePath(f"{relative!r}: not a plain relative path")
    normalised = posixpath.normpath(relative.replace(os.sep, "/"))
    if normalised.startswith("/") or normalised == ".." or normalised.startswith("../"):
        raise UnsafePath(f"{relative}: points outside the folder")
    parts = [part for part in PurePosixPath(normalised).parts if part not in ("", ".")]
    if not parts:
        raise UnsafePath(f"{relative!r}: names no file")
    return parts


def source_file(root: Path, relative: str) -> Path:
    """The regular file `relative` names under `root`, with no symbolic link on the way."""
    path = root
    for part in _parts(relative):
        path = path / part
        try:
            mode = os.lstat(path).st_mode
        except OSError:
            raise UnsafePath(f"{relative}: no such file in the tree") from None
        if stat.S_ISLNK(mode):
            raise UnsafePath(f"{relative}: passes through the symbolic link {path.relative_to(root).as_posix()}")
    if not stat.S_ISREG(os.lstat(path).st_mode):
        raise UnsafePath(f"{relative}: not a regular file")
    return path


def read_source_bytes(root: Path, path: Path) -> bytes:
    """A file of the tree, refused if it is (or lies behind) a symbolic link or outside the tree."""
    try:
        relative = path.relative_to(root).as_posix()
    except ValueError:
        raise UnsafePath(f"{path}: outside the tree {root}") from None
    checked = source_file(root, relative)
    descriptor = os.open(checked, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(descriptor, "rb") as handle:
        return handle.read()


def read_source_text(root: Path, path: Path) -> str:
    return read_source_bytes(root, path).decode("utf-8").replace("\r\n", "\n").lstrip("\ufeff")


class Destination:
    """DEST, written only below itself and never through a symbolic link."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _open_parent(self, parts: list[str]) -> int:
        """A descriptor of the folder that will hold the last part, created as needed."""
        descriptor = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY)
        try:
            for index, part in enumerate(parts[:-1]):
                with contextlib.suppress(FileExistsError):
                    os.mkdir(part, 0o755, dir_fd=descriptor)
                try:
                    inner = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=descriptor)
                except OSError:
                    raise UnsafePath(f"{'/'.join(parts[: index + 1])}: a symbolic link or file in the destination, "
                                     "not a folder: not written through") from None
                os.close(descriptor)
                descriptor = inner
        except BaseException:
            os.close(descriptor)
            raise
        return descriptor

    def write_bytes(self, relative: str, data: bytes) -> Path:
        parts = _parts(relative)
        folder = self._open_parent(parts)
        try:
            name = parts[-1]
            try:
                mode = os.lstat(name, dir_fd=folder).st_mode
            except FileNotFoundError:
                mode = None
            if mode is not None and not stat.S_ISREG(mode):
                raise UnsafePath(f"{relative}: exists in the destination and is not a regular file "
                                 "(a symbolic link is never written through)")
            if mode is not None:
                os.unlink(name, dir_fd=folder)  # a fresh file: never write through a hard link either
            descriptor = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644, dir_fd=folder)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
        finally:
            os.close(folder)
        return self.root.joinpath(*parts)

    def write_text(self, relative: str, text: str) -> Path:
        return self.write_bytes(relative, text.encode("utf-8"))

    def make_folder(self, relative: str) -> None:
        parts = _parts(relative)
        os.close(self._open_parent([*parts, "placeholder"]))
