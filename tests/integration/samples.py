"""Test malware that is not malware: the EICAR string and Debian's clamav-testfiles.

EICAR is assembled at run time so that no file in the tree carries it; the testfiles'
hashes come from sigtool, the way an analyst writes hash signatures for ClamAV.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

TESTFILES = Path("/usr/share/clamav-testfiles")


def eicar() -> bytes:
    """The 68-byte EICAR anti-malware test file."""
    return ("X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + "EICAR-STANDARD-" + "ANTIVIRUS-TEST-FILE!$H+H*"
            ).encode()


def sigtool_hash(option: str, sample: Path) -> str:
    """The hash `sigtool --md5|--sha256 SAMPLE` writes as `hash:size:name`."""
    out = subprocess.run(["sigtool", option, str(sample)], capture_output=True, text=True,
                         check=True, timeout=60).stdout
    return out.split(":", 1)[0]
