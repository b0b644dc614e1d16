"""Host code shared with the controller: one parser per format.

Each `assessor_*.py` here is an Ansible module_utils file: the runner puts this directory
on ANSIBLE_MODULE_UTILS, so a role's module imports `ansible.module_utils.assessor_dpkg`
and Ansible ships the file to the host with it; the controller imports the same file as
`assessor.module_utils.assessor_dpkg`. Standard library only, Python 3.9 (Debian 11):
tests/unit/test_host_code.py holds them to that.
"""

from pathlib import Path

HERE = Path(__file__).resolve().parent
