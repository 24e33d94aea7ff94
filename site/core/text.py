"""Text as people write it: what it may not keep, and how two spellings of it compare.

XML 1.0 cannot carry most C0 control characters (everything below U+0020 but tab, line feed and
carriage return), nor U+FFFE, U+FFFF or lone surrogates: a feed or any XML holding one is not
XML, and Django's feed writer refuses it with an exception (a 500 for every reader of the feed).
They are never meant: they arrive pasted from Word or Excel (a vertical tab is Word's manual line
break) or typed on purpose. So:

- `clean_stored_text`, connected to every save of the project's models, takes them out of text
  and character fields before they are stored (a vertical tab or form feed becomes a line break
  in long text and a space in a short field), whichever form, import or admin screen wrote them;
  a short field (a title, a name) keeps no line break either: a browser's one-line input never
  sends one, and a title with one cannot be an e-mail subject (Django refuses the header);
- `xml_safe` takes them out of whatever an XML writer is given, for rows stored before.

`normalize` (NFKC and case folding) is here rather than in the search app because quiz scoring
compares short answers the same way the search compares words, and scoring must not depend on
the search app.
"""

from __future__ import annotations

import re
import unicodedata

from django.db import models

XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
LINE_BREAKS = re.compile("[\x0b\x0c]")
SHORT_FIELD_BREAKS = re.compile("[\x0b\x0c\r\n]+")
# The apps whose models hold what people write.
PROJECT_APPS = frozenset(
    {"core", "people", "search", "curriculum", "credentials", "casestudies", "knowledge", "talent"}
)


def normalize(text: str) -> str:
    """NFKC (full-width Latin and half-width kana to their usual forms) and case folding:
    ＲＦＰ = rfp, ２９２ = 292, ｸﾗｳﾄﾞ = クラウド."""
    return unicodedata.normalize("NFKC", text).casefold()


def xml_safe(text: str) -> str:
    return XML_ILLEGAL.sub("", text)


def clean_text(text: str, *, multiline: bool) -> str:
    text = LINE_BREAKS.sub("\n", text) if multiline else SHORT_FIELD_BREAKS.sub(" ", text)
    return XML_ILLEGAL.sub("", text)


def clean_stored_text(sender, instance, raw=False, **kwargs) -> None:
    """pre_save: control characters out of every text and character field."""
    if raw or sender._meta.app_label not in PROJECT_APPS:
        return
    for field in sender._meta.concrete_fields:
        if not isinstance(field, models.CharField | models.TextField):
            continue
        value = getattr(instance, field.attname, None)
        if not isinstance(value, str):
            continue
        multiline = isinstance(field, models.TextField)
        if XML_ILLEGAL.search(value) or (not multiline and SHORT_FIELD_BREAKS.search(value)):
            setattr(instance, field.attname, clean_text(value, multiline=multiline))
