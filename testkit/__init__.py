"""Test doubles that the tests and the benchmarks both use (the benchmarks run without tests/ or pytest).

- `testkit.fake_bot_api.FakeBotAPI`: a strict fake Telegram Bot API server on 127.0.0.1.
- `testkit.net.free_port()`: a free local TCP port.
"""
