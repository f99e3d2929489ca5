"""The ``gateway`` command (entry point ``gateway.cli:main``).

``main.py`` parses the command line and runs the server verbs (``serve``, ``dev``, ``sim``;
``dev_token.py`` for ``dev-token``); ``verbs.py`` registers the client verbs (``deployments.py``,
``modules.py``, ``me.py``, ``jobs.py``, each declared the way ``parsing.py`` says), which talk HTTP
to a gateway through ``session.py``, read request files with ``request_file.py``, print with
``output.py``, show waits with ``progress.py`` and word errors in CLI terms with ``wording.py``.
"""

from gateway.cli.main import main

__all__ = ["main"]
