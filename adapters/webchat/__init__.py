"""The built-in web chat: a page, a WebSocket, and cards with working buttons."""
