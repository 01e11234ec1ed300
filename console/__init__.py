"""The liaison console: server-rendered pages in the service's own aiohttp app."""
