"""Atomic writes now live in `assessor.rundir`; this name stays for assessor.lab's import."""

from assessor.rundir import write_bytes, write_text

__all__ = ["write_bytes", "write_text"]
