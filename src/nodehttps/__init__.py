"""nodehttps: Node.js's ``https`` module for Python (``import nodehttps as https``)."""
