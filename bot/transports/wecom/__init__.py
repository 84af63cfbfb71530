"""WeChat customer service (微信客服) through WeCom's API: the same engine as Telegram, another adapter.

- `client.py`: WeCom's HTTP API (access token cached and refreshed, errors as the bridge's own).
- `callback.py`: the callback endpoint (URL verification, signature and AES as `WXBizMsgCrypt`, via wechatpy).
- `bot/storage/wecom.py`: what WeCom needs kept in the database (the sync cursor, user and message ids, the
  reply window, messages held for it).
- `adapter.py`: WeCom messages ⇄ the bridge's updates and API calls (menus for buttons, files, the window).
- `runtime.py`: start, pull with `kf/sync_msg`, store in the inbox, handle, stop.
"""

from bot.transports.wecom.runtime import WeComRuntime, run

__all__ = ["WeComRuntime", "run"]
