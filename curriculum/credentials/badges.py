"""The badge drawn for a credential that has no uploaded image: an SVG whose colour, outline and
pattern come from a hash of the credential's slug, with a short label taken from its Japanese
name and pips for the highest competency level it proves. The same definition always gives the
same bytes, so the drawing's own hash is its version: it is in the address, which changes when
the name does.

SVG can carry script. The drawing is built here from numbers and from text escaped for XML, never
from markup anyone wrote, and is served with a policy that forbids scripts in any case."""

from __future__ import annotations

import colorsys
import hashlib
import math
import re
import unicodedata
from xml.sax.saxutils import escape

from django.urls import reverse
from django.utils import translation

SIZE = 160
CENTRE = SIZE / 2
RADIUS = 74
FONT_FAMILY = (
    "'Hiragino Kaku Gothic ProN', 'Hiragino Sans', 'Noto Sans CJK JP', 'Noto Sans JP', "
    "'Yu Gothic', YuGothic, Meiryo, 'IPAexGothic', sans-serif"
)
RIBBON_TEXT = "CIO ACADEMY"
SHAPES = ("circle", "hexagon", "octagon", "rosette", "shield")
PATTERNS = ("rays", "rings", "dots", "stripes")

# Words most credential names share: left out of the label when something else remains.
COMMON_WORDS = ("自治体", "修了", "認定", "講座", "コース", "バッジ", "プログラム")
LINE_WIDTH = 6.0  # in em: six kanji, or ten Latin letters
MAX_LINES = 2
# Characters a line should not begin with (Japanese line-breaking rules, kinsoku).
NO_LINE_START = set("ァィゥェォャュョッヮヵヶぁぃぅぇぉゃゅょっゎーヽヾゝゞ々")
# Not allowed in XML 1.0 at all: control characters other than tab and newlines, lone surrogates.
XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


# Text -------------------------------------------------------------------------------------------


def _xml(text: str) -> str:
    return escape(XML_INVALID.sub("", text), {'"': "&quot;", "'": "&apos;"})


def _width(text: str) -> float:
    return sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.6 for c in text)


def _is_word_char(char: str) -> bool:
    return unicodedata.category(char)[0] in "LNM"


def _tokens(text: str) -> list[tuple[str, bool]]:
    """Runs of letters and digits, split at punctuation and spaces and where Latin letters meet
    Japanese ones: (run, whether a separator came before it)."""
    tokens: list[tuple[str, bool]] = []
    current, separated = "", False
    for char in text:
        if not _is_word_char(char):
            if current:
                tokens.append((current, separated))
                current = ""
            separated = bool(tokens)
            continue
        if current and char.isascii() != current[-1].isascii():
            tokens.append((current, separated))
            current, separated = "", False
        current += char
    if current:
        tokens.append((current, separated))
    return tokens


def _cut(text: str, width: float) -> tuple[str, str]:
    """The longest start of text no wider than width, and the rest, without starting the rest on
    a character that may not begin a line."""
    used = 0.0
    for index, char in enumerate(text):
        used += _width(char)
        if used > width:
            while index > 1 and text[index] in NO_LINE_START:
                index -= 1
            return text[:index], text[index:]
    return text, ""


def _initials(text: str) -> str:
    words = [token for token, _separated in _tokens(text) if token.isascii()]
    return "".join(word[0] for word in words[:4]).upper()


def label_lines(name_ja: str, name_en: str = "", slug: str = "") -> list[str]:
    """One or two short lines for the middle of the badge, from the Japanese name."""
    text = unicodedata.normalize("NFKC", name_ja or "")
    shorter = text
    for word in COMMON_WORDS:
        shorter = shorter.replace(word, " ")
    tokens = _tokens(shorter) or _tokens(text)
    words = [token for token, _separated in tokens]
    if all(word.isascii() for word in words) and _width(" ".join(words)) > LINE_WIDTH:
        # A Latin name too long for a line: its initials, like a monogram.
        tokens = [("".join(word[0] for word in words[:4]).upper(), False)]
    if not tokens:
        fallback = _initials(name_en) or _initials(slug.replace("-", " ")) or "CIO"
        tokens = [(fallback[:4], False)]

    lines: list[str] = []
    line = ""
    for token, separated in tokens:
        joiner = " " if separated and line and line[-1].isascii() and token[0].isascii() else ""
        if _width(line + joiner + token) <= LINE_WIDTH:
            line += joiner + token
            continue
        if line:
            lines.append(line)
            line = ""
            if len(lines) == MAX_LINES:
                break
        while _width(token) > LINE_WIDTH and len(lines) < MAX_LINES - 1:
            head, token = _cut(token, LINE_WIDTH)
            lines.append(head)
        if _width(token) > LINE_WIDTH:
            token = _cut(token, LINE_WIDTH - 1)[0] + "…"
        line = token
    if line and len(lines) < MAX_LINES:
        lines.append(line)
    return lines


# Drawing ----------------------------------------------------------------------------------------


def _colour(hue: float, saturation: float, lightness: float) -> str:
    red, green, blue = colorsys.hls_to_rgb(hue / 360, lightness, saturation)
    return f"#{round(red * 255):02x}{round(green * 255):02x}{round(blue * 255):02x}"


def _n(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _polygon(corners: int, radius: float, turn: float = 0.0, inner: float | None = None) -> str:
    points = []
    steps = corners * 2 if inner else corners
    for step in range(steps):
        angle = math.radians(turn + 360 * step / steps - 90)
        r = inner if inner and step % 2 else radius
        points.append(f"{_n(CENTRE + r * math.cos(angle))},{_n(CENTRE + r * math.sin(angle))}")
    return f'<polygon points="{" ".join(points)}"'


def _outline(shape: str) -> str:
    """The badge's outline as an element left open for its attributes."""
    if shape == "hexagon":
        return _polygon(6, RADIUS + 2)
    if shape == "octagon":
        return _polygon(8, RADIUS + 1, turn=22.5)
    if shape == "rosette":
        return _polygon(18, RADIUS + 2, inner=RADIUS - 5)
    if shape == "shield":
        return '<path d="M80 6 L146 24 V80 C146 118 118 142 80 156 C42 142 14 118 14 80 V24 Z"'
    return f'<circle cx="{_n(CENTRE)}" cy="{_n(CENTRE)}" r="{RADIUS}"'


def _pattern(pattern: str, colour: str) -> str:
    if pattern == "rays":
        lines = []
        for step in range(16):
            angle = math.radians(step * 360 / 16)
            x, y = CENTRE + 90 * math.cos(angle), CENTRE + 90 * math.sin(angle)
            lines.append(f'<line x1="80" y1="80" x2="{_n(x)}" y2="{_n(y)}"/>')
        body = "".join(lines)
        return f'<g stroke="{colour}" stroke-width="5" opacity="0.22">{body}</g>'
    if pattern == "rings":
        body = "".join(f'<circle cx="80" cy="80" r="{r}"/>' for r in range(14, 90, 12))
        return f'<g fill="none" stroke="{colour}" stroke-width="3" opacity="0.22">{body}</g>'
    if pattern == "dots":
        body = "".join(
            f'<circle cx="{x + (7 if (y // 14) % 2 else 0)}" cy="{y}" r="2.2"/>'
            for y in range(4, SIZE, 14)
            for x in range(4, SIZE + 7, 14)
        )
        return f'<g fill="{colour}" opacity="0.3">{body}</g>'
    body = "".join(
        f'<line x1="{x}" y1="0" x2="{x + SIZE}" y2="{SIZE}"/>' for x in range(-160, 160, 14)
    )
    return f'<g stroke="{colour}" stroke-width="4" opacity="0.2">{body}</g>'


def _pips(level: int, colour: str) -> str:
    """Small diamonds above the label, one per level of the highest competency proven."""
    if not level:
        return ""
    gap = 12
    start = CENTRE - gap * (level - 1) / 2
    return "".join(
        f'<path d="M{_n(start + gap * i)} 30 l4 5 l-4 5 l-4 -5 Z" fill="{colour}"/>'
        for i in range(level)
    )


def _label(lines: list[str], colour: str) -> str:
    if not lines:
        return ""
    widest = max(_width(line) for line in lines) or 1
    size = min(32 if len(lines) == 1 else 23, 90 / widest)
    first_centre = CENTRE - (len(lines) - 1) * size * 0.58
    texts = "".join(
        f'<text x="80" y="{_n(first_centre + i * size * 1.16 + size * 0.36)}" '
        f'font-size="{_n(size)}">{_xml(line)}</text>'
        for i, line in enumerate(lines)
    )
    return (
        f'<g fill="{colour}" font-family="{FONT_FAMILY}" font-weight="bold" '
        f'text-anchor="middle">{texts}</g>'
    )


def highest_level(definition) -> int:
    """The highest competency level the credential proves (0 without any), read from the
    competencies already fetched when they were prefetched."""
    if not definition.pk:
        return 0
    return max((area.level for area in definition.competencies.all()), default=0)


def draw(definition) -> str:
    seed = hashlib.sha256(f"credential-badge|{definition.slug}".encode()).digest()
    hue = int.from_bytes(seed[:2], "big") % 360
    saturation = 0.45 + seed[4] / 255 * 0.25
    shape = SHAPES[seed[2] % len(SHAPES)]
    pattern = PATTERNS[seed[3] % len(PATTERNS)]
    ground = _colour(hue, saturation, 0.28)
    edge = _colour(hue, saturation, 0.18)
    light = _colour(hue, saturation, 0.82)
    outline = _outline(shape)
    title = _xml(definition.name_ja or definition.name_en or definition.slug)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {SIZE} {SIZE}" width="{SIZE}" '
        f'height="{SIZE}" role="img" aria-labelledby="t">'
        f'<title id="t">{title}</title>'
        f'<defs><clipPath id="c">{outline}/></clipPath></defs>'
        f'{outline} fill="{ground}" stroke="{edge}" stroke-width="4"/>'
        f'<g clip-path="url(#c)">{_pattern(pattern, light)}</g>'
        f'<circle cx="80" cy="80" r="56" fill="{ground}" stroke="{light}" stroke-width="2.5"/>'
        f"{_pips(highest_level(definition), light)}"
        f"{_label(label_lines(definition.name_ja, definition.name_en, definition.slug), '#fff')}"
        f'<path d="M6 112 H154 L146 123 L154 134 H6 L14 123 Z" fill="{light}" stroke="{edge}" '
        f'stroke-width="1.5"/>'
        f'<text x="80" y="127.5" text-anchor="middle" font-family="{FONT_FAMILY}" '
        f'font-size="12" font-weight="bold" letter-spacing="1.5" fill="{edge}">'
        f"{RIBBON_TEXT}</text>"
        "</svg>\n"
    )


def version(drawing: str) -> str:
    return hashlib.sha256(drawing.encode()).hexdigest()[:16]


def url(definition, drawing: str | None = None) -> str:
    """The drawing's address with its version: a path, the same in every language."""
    with translation.override("ja"):
        path = reverse("credential_badge", args=[definition.pk])
    return f"{path}?v={version(drawing or draw(definition))}"
