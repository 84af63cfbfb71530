"""The conversation engine: framework-free, no network or disk of its own.

It takes one transport-neutral event (`Incoming`) with the user's stored conversation and returns
replies and the updated conversation. See `engine.handle`.
"""

from conversations.engine import Context, Outcome, handle
from conversations.events import Choice, FileRef, Incoming, Reply

__all__ = ["Choice", "Context", "FileRef", "Incoming", "Outcome", "Reply", "handle"]
