"""Remediation as pure logic: which controls a harden run applies and how, what its
events say changed, and what the re-assessment shows before and after."""
