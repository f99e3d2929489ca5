"""Clients of the upstream schedulers: all HTTP to Marathon, Chronos and Mesos goes through here."""
