"""assessor: assess, harden and patch Linux fleets through Ansible, with reports auditors trust."""

__version__ = "0.1.0"
