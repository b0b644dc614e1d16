"""The host code the hunt and the watch share (module_utils): digests never through a
link, socket owners from /proc, and the timed exit of a probe module."""

from __future__ import annotations

import hashlib
import os
import socket
from pathlib import Path
from typing import Any

import pytest
import unit_builders  # noqa: F401  (exposes ansible.module_utils.assessor_*)
from ansible.module_utils import (  # type: ignore[attr-defined]
    assessor_filehash as filehash,
)
from ansible.module_utils import (  # type: ignore[attr-defined]
    assessor_module_run as module_run,
)
from ansible.module_utils import (  # type: ignore[attr-defined]
    assessor_proc_sockets as proc_sockets,
)


def test_digests_are_hashlibs_in_the_order_asked(tmp_path: Path) -> None:
    data = os.urandom(3 * filehash.CHUNK + 17)  # more than one block
    (tmp_path / "f").write_bytes(data)
    assert filehash.file_digests(str(tmp_path / "f"), ("sha256", "sha1", "md5")) == [
        hashlib.sha256(data).hexdigest(), hashlib.sha1(data).hexdigest(),
        hashlib.md5(data).hexdigest()]


def test_digests_never_follow_a_link(tmp_path: Path) -> None:
    (tmp_path / "secret").write_bytes(b"not to be read")
    (tmp_path / "link").symlink_to(tmp_path / "secret")
    with pytest.raises(OSError):
        filehash.file_digests(str(tmp_path / "link"))


def test_a_socket_is_owned_by_the_process_holding_it() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        inode = str(os.fstat(server.fileno()).st_ino)
        assert proc_sockets.socket_owners()[inode] == os.getpid()


class Module:
    def __init__(self) -> None:
        self.params = {"x": 2}
        self.exited: dict[str, Any] = {}

    def exit_json(self, **kwargs: Any) -> None:
        self.exited = kwargs


def test_exit_timed_reports_the_result_and_its_seconds_unchanged() -> None:
    module = Module()
    module_run.exit_timed(module, "state", lambda p: {"double": p["x"] * 2})
    assert module.exited["changed"] is False
    assert module.exited["state"]["double"] == 4
    assert 0 <= module.exited["state"]["seconds"] < 5
