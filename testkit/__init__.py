"""Test doubles and helpers that the tests and the benchmarks both use (the benchmarks run without tests/ or
pytest; the product never imports them).

- `testkit.fake_bot_api.FakeBotAPI`: a strict fake Telegram Bot API server on 127.0.0.1.
- `testkit.net.free_port()`: a free local TCP port.
- `testkit.miniapp`: init data signed like Telegram's, the Chromium launch arguments.
- `testkit.synth`: generated slips and bank notices with ground truth (development and held-out sets).
"""
