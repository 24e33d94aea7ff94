"""Display names that cannot pass for someone, or something, they are not.

A name is how members recognise each other in threads, so it may not:
- carry control, format or bidirectional characters (U+202E turns text around; zero-width
  characters make two names look alike), nor private-use or unassigned code points;
- read as one of the site's own labels — 匿名, 質問者（匿名）, 退会したメンバー, the fallback
  メンバー — or, for members who hold no role, a role: 管理者, モデレーター, 運営, 事務局 and their
  English forms; on its own or inside a longer name (「管理者の田中」);
- look like another member's name while being different (Cyrillic а for Latin a, カ for 力,
  full-width letters), nor copy a staff member's or moderator's name exactly. Ordinary members
  may share a name: namesakes are real, and their profiles and municipalities tell them apart.

Names are compared by a skeleton, as Unicode's confusable detection (UTS #39) does: NFKC, case
folded, every character replaced by one representative of its group of look-alikes (the groups
come from the confusable-homoglyphs package's copy of Unicode's confusables data), white space
and punctuation dropped. Roles are marked on pages by a badge outside the name (the byline
template), which no name can imitate.
"""

from __future__ import annotations

import json
import re
import unicodedata
from functools import cache
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _

from .models import Profile

# Code point categories a name may not hold: controls, format characters (bidi overrides and
# isolates, zero-width joiners and spaces), surrogates, private use, unassigned, line and
# paragraph separators.
FORBIDDEN_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
KEPT_CATEGORIES = ("L", "M", "N")

# Words that stand for someone on this site (the anonymous asker, a closed account): refused
# anywhere in anyone's name.
STAND_IN_WORDS = ["匿名", "質問者", "退会", "anonymous", "the asker", "former member"]
# Words that name a role: refused anywhere in a name, except for the members who hold a role
# (a real administrator may be called サイト管理者; their badge says so anyway).
ROLE_WORDS = [
    "管理者",
    "管理人",
    "運営",
    "事務局",
    "モデレーター",
    "モデレータ",
    "スタッフ",
    "公式",
    "自治体CIOアカデミー",
    "administrator",
    "moderator",
    "municipal cio academy",
]
# Short English words, refused as a word of the name (not inside "Badminton").
STAND_IN_LATIN_WORDS = {"asker"}
ROLE_LATIN_WORDS = {"admin", "mod", "staff", "official", "system", "root"}
# The labels the site writes in place of a name, refused as the whole name.
RESERVED_LABELS = ["メンバー", "あなた", "誰か", "member", "you", "someone"]


@cache
def _representatives() -> dict[str, str]:
    """Each confusable character's representative: the smallest code point of its group."""
    # Lazy, with the table built from it: only validating a display name needs it.
    import confusable_homoglyphs

    data = json.loads(
        (Path(confusable_homoglyphs.__file__).parent / "confusables.json").read_text("utf-8")
    )
    parent: dict[str, str] = {}

    def find(char: str) -> str:
        parent.setdefault(char, char)
        while parent[char] != char:
            parent[char] = parent[parent[char]]
            char = parent[char]
        return char

    for char, homoglyphs in data.items():
        if len(char) != 1:
            continue
        for homoglyph in homoglyphs:
            other = homoglyph["c"]
            if len(other) == 1:
                a, b = find(char), find(other)
                if a != b:
                    parent[max(a, b)] = min(a, b)
    return {char: find(char) for char in parent}


def skeleton(text: str) -> str:
    """What a name looks like: two names with one skeleton can pass for each other."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    mapping = _representatives()
    mapped = unicodedata.normalize("NFKC", "".join(mapping.get(c, c) for c in folded)).casefold()
    return "".join(c for c in mapped if unicodedata.category(c).startswith(KEPT_CATEGORIES))


def _latin_words(text: str) -> set[str]:
    mapping = _representatives()
    folded = unicodedata.normalize("NFKC", text).casefold()
    return set(re.findall(r"[a-z0-9]+", "".join(mapping.get(c, c) for c in folded)))


# Labels other apps show in place of a name (the knowledge base's 匿名 and 質問者（匿名）) or
# beside one (its モデレーター badge): each app reserves its own (reserve_labels), so this module
# knows no app.
_stand_in_labels: list = []
_role_labels: list = []


def reserve_labels(*, stand_ins=(), roles=()) -> None:
    """Refuse these (lazy, translated) labels as names too: `stand_ins` as a whole name, `roles`
    inside the names of members who hold no role."""
    _stand_in_labels.extend(stand_ins)
    _role_labels.extend(roles)
    _reserved.cache_clear()


@cache
def _reserved() -> dict[str, frozenset[str]]:
    """Skeletons of the words refused inside a name and of the labels refused as a name."""
    labels, role_labels = set(RESERVED_LABELS), set()
    for language in ("ja", "en"):
        with translation.override(language):
            labels.update(map(str, _stand_in_labels))
            labels.update([_("Former member"), _("Member"), _("Someone")])
            role_labels.update(map(str, _role_labels))

    def skeletons(words):
        return frozenset(shape for shape in map(skeleton, words) if shape)

    return {
        "stand_in": skeletons(STAND_IN_WORDS),
        "role": skeletons(ROLE_WORDS) | skeletons(role_labels),
        "labels": skeletons(labels),
    }


def _refuse(message: str, code: str):
    raise ValidationError(message, code=code)


def check_characters(name: str) -> None:
    if any(unicodedata.category(c) in FORBIDDEN_CATEGORIES for c in name):
        _refuse(
            _(
                "The name contains an invisible or control character (such as one that "
                "reverses the direction of text). Please type it again without it."
            ),
            "name_characters",
        )


def check_reserved(name: str, *, holds_role: bool = False) -> None:
    reserved = _reserved()
    shape = skeleton(name)
    if not shape:
        _refuse(_("Please use letters in the name, not only symbols."), "name_empty")
    words = set(reserved["stand_in"]) | (set() if holds_role else set(reserved["role"]))
    latin = STAND_IN_LATIN_WORDS | (set() if holds_role else ROLE_LATIN_WORDS)
    if (
        shape in reserved["labels"]
        or any(word in shape for word in words)
        or _latin_words(name) & latin
    ):
        _refuse(
            _(
                "This name uses a word the site keeps for its own labels or roles (such as "
                "匿名, 管理者 or モデレーター). Please choose another name."
            ),
            "name_reserved",
        )


def _privileged_user_ids():
    codenames = ["moderate_posts", "access_admin"]
    return (
        get_user_model()
        .objects.filter(
            Q(is_staff=True)
            | Q(is_superuser=True)
            | Q(groups__permissions__codename__in=codenames)
            | Q(user_permissions__codename__in=codenames)
        )
        .values("pk")
    )


def check_others(name: str, *, user_id=None) -> None:
    """Not a look-alike of another member's name; not a copy of a staff or moderator's."""
    shape = skeleton(name)
    plain = unicodedata.normalize("NFKC", name).casefold().strip()
    others = Profile.objects.exclude(display_name="")
    if user_id is not None:
        others = others.exclude(user_id=user_id)
    privileged = set(
        others.filter(user__in=_privileged_user_ids()).values_list("display_name", flat=True)
    )
    for other in others.values_list("display_name", flat=True).iterator():
        if skeleton(other) != shape:
            continue
        copied = unicodedata.normalize("NFKC", other).casefold().strip() == plain
        if not copied or other in privileged:
            _refuse(
                _(
                    "This name looks the same as another member's. Please choose a name "
                    "that others can tell apart."
                ),
                "name_lookalike",
            )


def validate_display_name(name: str, *, user_id=None) -> None:
    """Every rule above; raises ValidationError with a message for the member."""
    if not name:
        return
    check_characters(name)
    holds_role = user_id is not None and _privileged_user_ids().filter(pk=user_id).exists()
    check_reserved(name, holds_role=holds_role)
    check_others(name, user_id=user_id)
