"""Evidence: artifacts as data, the signed bundle written from what hosts streamed back, verify.

Pure controller-side logic: it never reaches hosts (the command runs the playbook).
"""
