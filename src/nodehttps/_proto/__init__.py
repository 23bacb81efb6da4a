"""Sans-IO cores: HTTP/1 parsing and heads, the Agent's pool, verify-code tables.

Nothing here imports asyncio or touches a socket (a test enforces it).
"""
