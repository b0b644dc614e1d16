"""The 24/7 watch: cycles on a schedule, a store of history, drift, alerts that reach people.

Store, drift, alerts, heartbeats and metrics are pure or local I/O and never reach hosts;
only `steps` (the cycle's pluggable steps) calls the runner.
"""
