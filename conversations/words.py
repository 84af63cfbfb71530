"""Words merchants type instead of pressing a button: control words and "don't know".

The bot says "press a button or type its text", so typing `完成`, `skip` or `保持不变` must do
what the button does, wherever that button is offered. "Don't know" words (`不知道`, `n/a`) leave
an optional field empty instead of becoming its value (a customer called "不知道").
"""

from __future__ import annotations

import re
import unicodedata

CONTROL_WORDS: dict[str, tuple[str, ...]] = {
    "done": (
        "完成", "完成了", "好了", "没有了", "没了", "就这些", "就这么多", "结束", "完了", "够了", "没有更多了",
        "done", "finish", "finished", "that's all", "thats all", "that is all", "no more", "nothing more", "end",
    ),
    "skip": ("跳过", "略过", "跳", "下一个", "下一题", "skip", "skip it", "pass", "next"),
    "keep": (
        "保持不变", "不变", "不用改", "不改", "保持", "保留", "维持", "还是这个", "一样",
        "keep", "keep it", "same", "unchanged", "no change", "leave it", "as is",
    ),
    "confirm": (
        "确认", "确认保存", "确定", "保存", "没问题", "都对", "对的", "正确",
        "confirm", "confirmed", "save", "correct", "looks good", "all good", "ok", "okay", "yes",
    ),
    "back": ("返回", "上一步", "回去", "后退", "back", "go back", "previous"),
    "cancel": ("取消", "取消案件", "cancel", "cancel case"),
    "ocr:accept": (
        "全部", "全部使用", "都用", "都用上", "用这些", "就用这些", "全用", "都对", "没错",
        "use all", "use them", "use all of these", "all", "all correct", "correct", "looks right",
    ),
    "output:all": (
        "全部", "全部生成", "全都要", "都要", "全要", "所有", "全部文件", "全部都要",
        "all", "all of them", "everything", "all documents", "generate all",
    ),
}  # fmt: skip

DONT_KNOW_WORDS = (
    "不知道", "不清楚", "不记得", "记不清", "记不得", "忘了", "忘记了", "不确定", "不详", "未知", "没有", "无",
    "暂无", "没", "不晓得", "不懂", "不了解", "没有这个", "找不到", "看不清",
    "n/a", "na", "none", "unknown", "don't know", "dont know", "do not know", "not sure", "no idea", "idk",
    "not known", "can't remember", "cant remember", "don't remember", "dont remember", "forgot", "nil", "-", "?",
    "？", "—",
)  # fmt: skip

_TRAILING = re.compile(r"[\s。.!！?？~～啊呀吧呢了的]+$")


def norm(text: str) -> str:
    """Lower case, NFKC, no trailing particles or punctuation: what matching compares."""
    s = unicodedata.normalize("NFKC", text).lower().strip()
    s = s.replace("’", "'").replace("‘", "'")
    stripped = _TRAILING.sub("", s)
    return re.sub(r"\s+", " ", stripped or s).strip()


_CONTROL: dict[str, list[str]] = {}
for _cid, _words in CONTROL_WORDS.items():
    for _w in _words:
        _CONTROL.setdefault(norm(_w), []).append(_cid)
_DONT_KNOW = {norm(w) for w in DONT_KNOW_WORDS}


def control(text: str, offered: set[str]) -> str | None:
    """The control id (`done`, `skip`, …) that `text` names, when that button is offered now."""
    return next((cid for cid in _CONTROL.get(norm(text), ()) if cid in offered), None)


_LEAD = re.compile(r"^(?:我也|我真|我|真的|确实|也|还是|really|i really|i just|i|sorry,?|sorry)\s*")


def dont_know(text: str) -> bool:
    """`不知道`, `我也不清楚`, `n/a`, `I don't know`: the merchant has no answer to give."""
    s = norm(text)
    return s in _DONT_KNOW or _LEAD.sub("", s, count=1) in _DONT_KNOW
