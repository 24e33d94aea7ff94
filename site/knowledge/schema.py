"""schema.org QAPage structured data for a question page (what search engines read)."""

from __future__ import annotations

import json

from django.utils.safestring import mark_safe

from . import identity


def _answer(answer, request) -> dict:
    return {
        "@type": "Answer",
        "text": answer.body,
        "dateCreated": answer.created_at.isoformat(),
        "upvoteCount": answer.score,
        "url": request.build_absolute_uri(answer.get_absolute_url()),
        "author": {"@type": "Person", "name": _author_name(answer)},
    }


def _author_name(answer) -> str:
    question = answer.question
    if identity.is_anonymous_asker(question, answer.author_id):
        return str(identity.ASKER)
    if answer.author_id is None:
        return answer.source.name if answer.source_id else str(identity.ANONYMOUS)
    return identity.byline(answer, question, None).name


def qa_page(question, answers, request) -> str:
    """JSON for a <script type="application/ld+json">: only published answers, and an anonymous
    asker stays anonymous here too."""
    shown = [a for a in answers if a.is_published]
    accepted = next((a for a in shown if a.pk == question.accepted_answer_id), None)
    suggested = [a for a in shown if a is not accepted]
    main = {
        "@type": "Question",
        "name": question.title,
        "text": question.body,
        "dateCreated": question.created_at.isoformat(),
        "answerCount": len(shown),
        "upvoteCount": question.score,
        "author": {"@type": "Person", "name": identity.public_author_name(question)},
    }
    if accepted is not None:
        main["acceptedAnswer"] = _answer(accepted, request)
    if suggested:
        main["suggestedAnswer"] = [_answer(a, request) for a in suggested]
    data = {"@context": "https://schema.org", "@type": "QAPage", "mainEntity": main}
    text = json.dumps(data, ensure_ascii=False)
    # Inside <script>, "</" could end the element early: escape it (and <!-- for old parsers).
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return mark_safe(text)
