"""schema.org QAPage structured data for a question page (what search engines read). Bounded
as the page is: the accepted answer and the `SUGGESTED_ANSWERS` best scored others, while
`answerCount` stays the thread's true number of published answers."""

from __future__ import annotations

import json

from django.contrib.auth.models import AnonymousUser
from django.utils.safestring import mark_safe

from . import identity, threads

SUGGESTED_ANSWERS = 5


def _answer(answer, url, request) -> dict:
    return {
        "@type": "Answer",
        "text": answer.body,
        "dateCreated": answer.created_at.isoformat(),
        "upvoteCount": answer.score,
        "url": request.build_absolute_uri(url),
        "author": {"@type": "Person", "name": _author_name(answer)},
    }


def _author_name(answer) -> str:
    question = answer.question
    if identity.is_anonymous_asker(question, answer.author_id):
        return str(identity.ASKER)
    if answer.author_id is None:
        return answer.source.name if answer.source_id else str(identity.ANONYMOUS)
    return identity.byline(answer, question, None).name


def qa_page(question, request, *, first_answers=None, answer_count=None) -> str:
    """JSON for a <script type="application/ld+json">: only published answers, and an anonymous
    asker stays anonymous here too. Two queries however long the thread: its first answers as
    everyone sees them (the accepted one, then by score) and the count of all. A caller that
    already holds them, in that order (the first page as a visitor reads it), passes both and
    no query is made."""
    published = threads.ordered_answers(question, AnonymousUser())
    if first_answers is not None and answer_count is not None:
        shown = list(first_answers[: SUGGESTED_ANSWERS + 1])
    else:
        shown = list(
            published.select_related("author__profile__municipality__prefecture", "source")[
                : SUGGESTED_ANSWERS + 1
            ]
        )
        answer_count = published.count()
    accepted = next((a for a in shown if a.pk == question.accepted_answer_id), None)
    suggested = [a for a in shown if a is not accepted][:SUGGESTED_ANSWERS]
    # These are the thread's first answers as everyone sees it: their page is known.
    per_page = threads.answers_per_page()
    question_url = question.get_absolute_url()
    urls = {
        a.pk: threads.page_url(question_url, n // per_page + 1, fragment=f"answer-{a.pk}")
        for n, a in enumerate(shown)
    }
    for a in shown:
        a.question = question
    main = {
        "@type": "Question",
        "name": question.title,
        "text": question.body,
        "dateCreated": question.created_at.isoformat(),
        "answerCount": answer_count,
        "upvoteCount": question.score,
        "author": {"@type": "Person", "name": identity.public_author_name(question)},
    }
    if accepted is not None:
        main["acceptedAnswer"] = _answer(accepted, urls[accepted.pk], request)
    if suggested:
        main["suggestedAnswer"] = [_answer(a, urls[a.pk], request) for a in suggested]
    data = {"@context": "https://schema.org", "@type": "QAPage", "mainEntity": main}
    text = json.dumps(data, ensure_ascii=False)
    # Inside <script>, "</" could end the element early: escape it (and <!-- for old parsers).
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return mark_safe(text)
