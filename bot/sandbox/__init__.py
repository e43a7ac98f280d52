"""The sandbox: the whole product in a browser, on one machine, without a bot token.

``courtyard sandbox`` starts in one process the Bot API emulator, the real bot
polling it, the gate terminal API with simulated doors, and a web page that
shows a resident's chat, the staff's admin group and a gate terminal side by
side. The page is built from the Bot API traffic itself (the emulator's
``/_emulator`` API and its event stream); the sandbox adds only the demo
community (:mod:`bot.sandbox.seed`), the page and a proxy to the gate API
(:mod:`bot.sandbox.server`), and the process around them
(:mod:`bot.sandbox.runtime`).
"""
