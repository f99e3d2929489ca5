"""The ``gateway`` command (entry point ``gateway.cli:main``).

``main.py`` parses the command line and runs the server verbs (``serve``, ``dev``, ``sim``);
``verbs.py`` registers the client verbs (``deploy``, ``list``, ``jobs ...``), which talk HTTP to
a gateway through ``session.py``, read request files with ``request_file.py`` and print with
``output.py``.
"""

from gateway.cli.main import main

__all__ = ["main"]
