"""Pure translation between our requests and what Marathon and Chronos understand.

No I/O here, and nothing from httpx, kazoo, jose, fastapi or yaml, nor any gateway module outside
the core (tests/unit/test_core_is_pure.py checks what each module really loads).
"""
