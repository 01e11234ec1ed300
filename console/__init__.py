"""The staff console, above her bot: server-rendered pages installed on the service's own aiohttp app by
the composition root (liaison/service.py), and staff accounts (console/staff/)."""
