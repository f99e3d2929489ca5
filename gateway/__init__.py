"""OpenID Connect protected scheduling gateway for GPU clusters on Apache Mesos."""

__version__ = "0.1.0"
