"""The case page (a Telegram Mini App): served by the bot's own aiohttp server, signed in by Telegram's init data.

`auth` checks the init data, `pages` reads and changes a user's case through the engine's
`conversations.casepage`, `server` serves the page and its JSON API, `static/` holds the page.
"""
