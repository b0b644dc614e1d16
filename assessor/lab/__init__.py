"""The project's own test fleet: Debian hosts in namespaces on this machine.

Each host is an overlay of one cached debootstrap root filesystem, with its own network,
PID, mount and UTS namespaces and its own sshd, reached over a veth link on a bridge the
lab creates. The demo and every integration test use it.
"""
