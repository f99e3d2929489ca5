"""Pure translation between our requests and what Marathon and Chronos understand.

No I/O here, and nothing from httpx, kazoo, jose or fastapi (a test checks the imports).
"""
