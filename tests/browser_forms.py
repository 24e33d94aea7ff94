"""What a browser would send for a form as the server rendered it, untouched: the test of "open
the form and save it" without a browser."""

from __future__ import annotations

from bs4 import BeautifulSoup


def form_data(html: str | bytes, selector: str = "main form[method=post]") -> dict[str, list[str]]:
    """The successful controls of the first form matching ``selector``, as the HTML standard
    builds a form data set: checked boxes and radios only, selected options (a single select
    without one sends its first option), text areas and other inputs by their value. Buttons and
    files are left out, as an untouched form sends none."""
    form = BeautifulSoup(html, "html.parser").select_one(selector)
    assert form is not None, f"no form matches {selector!r}"
    data: dict[str, list[str]] = {}

    def add(name, value):
        data.setdefault(name, []).append(value)

    for control in form.select("input, select, textarea"):
        name = control.get("name")
        if not name or control.has_attr("disabled"):
            continue
        if control.name == "input":
            kind = (control.get("type") or "text").lower()
            if kind in {"submit", "button", "reset", "image", "file"}:
                continue
            if kind in {"checkbox", "radio"}:
                if control.has_attr("checked"):
                    add(name, control.get("value", "on"))
                continue
            add(name, control.get("value", ""))
        elif control.name == "textarea":
            # The parser keeps the leading newline the HTML parser drops; browsers drop it.
            text = control.text
            add(name, text[1:] if text.startswith("\n") else text)
        else:
            options = control.find_all("option")
            chosen = [o for o in options if o.has_attr("selected")]
            if not chosen and not control.has_attr("multiple") and options:
                chosen = options[:1]
            for option in chosen:
                add(name, option.get("value", option.text))
    return data
