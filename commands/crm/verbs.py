"""The words a CRM command's action is given in: English, or the Chinese people type for it.

One table, so ``/客户 新增`` works wherever ``/商机 新增`` does.
"""

from __future__ import annotations

from collections.abc import Iterable

# action -> its words: the English name first, then the usual Chinese word, then synonyms
WORDS: dict[str, tuple[str, ...]] = {
    "add": ("add", "添加", "new", "新建", "新增"),
    "find": ("find", "查找", "search", "搜索"),
    "show": ("show", "查看"),
    "edit": ("edit", "修改", "编辑"),
    "assign": ("assign", "分配"),
    "transfer": ("transfer", "移交"),
    "invite": ("invite", "邀请"),
    "move": ("move", "推进", "移动"),
    "won": ("won", "赢单", "win", "成交"),
    "lost": ("lost", "输单", "lose", "丢单"),
    "link": ("link", "关联"),
    "unlink": ("unlink", "取消关联"),
}


def action_of(word: str, actions: Iterable[str]) -> str | None:
    """Which of ``actions`` the word names, in either language; None if none."""
    word = word.lower()
    return next((a for a in actions if word in WORDS.get(a, (a,))), None)


def action_names(actions: Iterable[str], locale: str) -> str:
    """The actions as a reader of ``locale`` would type them: ``添加`` for Chinese."""
    if not locale.startswith("zh"):
        return ", ".join(sorted(actions))
    return "、".join(WORDS[a][1] if a in WORDS else a for a in actions)
