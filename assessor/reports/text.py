"""Host data is hostile: make it safe for terminals and XML before it is shown."""

from __future__ import annotations

import re

# CSI/OSC/other escape sequences, then any remaining C0/C1 control except tab and newline.
_ESCAPES = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)?|[@-Z\\-_])")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def printable(text: str) -> str:
    """Strip terminal control sequences and control characters."""
    return _CONTROLS.sub("", _ESCAPES.sub("", text))


def xml_safe(text: str) -> str:
    """Remove characters XML 1.0 cannot carry at all, escaped or not."""
    return _XML_ILLEGAL.sub("\ufffd", text)
