"""The Telegram transport: dispatcher, routers, owner-only middleware, outgoing queue."""
