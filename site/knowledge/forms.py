import re

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import ModelMultipleChoiceField
from core.models import Topic

from .models import BODY_MAX, COMMENT_MAX, TITLE_MAX, FlagReason, Member, Question

MAX_TOPICS = 3


def markdown_area(rows=10):
    return forms.Textarea(attrs={"rows": rows, "data-markdown-preview": ""})


class TopicChoiceField(ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj):
        return obj.name


class QuestionForm(forms.Form):
    title = forms.CharField(
        label=_("Title"),
        min_length=8,
        max_length=TITLE_MAX,
        help_text=_(
            "One sentence that says what you want to know, e.g. RPAに向く業務の見分け方は？"
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "data-similar-source": ""}),
    )
    body = forms.CharField(
        label=_("Details"),
        min_length=20,
        max_length=BODY_MAX,
        help_text=_(
            "Your situation (size of the municipality, systems, what you tried) helps peers "
            "answer. Markdown: **bold**, lists, tables, [links](https://…)."
        ),
        widget=markdown_area(),
    )
    topics = TopicChoiceField(
        label=_("Topics"),
        queryset=Topic.objects.all(),
        required=False,
        help_text=_("Up to three. Peers who follow these topics will see your question."),
    )
    is_anonymous = forms.BooleanField(
        label=_("Ask anonymously"),
        required=False,
        help_text=Question._meta.get_field("is_anonymous").help_text,
    )

    def clean_topics(self):
        topics = self.cleaned_data["topics"]
        if len(topics) > MAX_TOPICS:
            raise forms.ValidationError(_("Choose up to three topics."))
        return topics


class EditQuestionForm(QuestionForm):
    summary = forms.CharField(label=_("What did you change?"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Anonymity is decided when asking: switching it later would reveal who asked.
        del self.fields["is_anonymous"]


class AnswerForm(forms.Form):
    body = forms.CharField(
        label=_("Your answer"),
        min_length=20,
        max_length=BODY_MAX,
        help_text=_("Say what your municipality did and what came of it; link your sources."),
        widget=markdown_area(8),
    )


class EditAnswerForm(AnswerForm):
    summary = forms.CharField(label=_("What did you change?"), max_length=200, required=False)


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Comment"),
        min_length=2,
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Ask for a detail or point out something; answers go in an answer."),
    )


class FlagForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("What is wrong with it?"), choices=FlagReason.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("Details for the moderators"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("reason") == FlagReason.OTHER and not cleaned.get("note", "").strip():
            self.add_error("note", _("Please say what is wrong."))
        return cleaned


QUESTION_REFERENCE = re.compile(r"(?:/questions/)?(\d+)/?(?:[#?].*)?$")


class CloseForm(forms.Form):
    original = forms.CharField(
        label=_("The original question"),
        max_length=300,
        help_text=_("Its address (e.g. https://…/questions/12/) or its number."),
    )

    def clean_original(self):
        value = self.cleaned_data["original"].strip()
        match = QUESTION_REFERENCE.search(value)
        if not match:
            raise forms.ValidationError(_("Enter the address or the number of a question."))
        original = Question.objects.published().filter(pk=int(match[1])).first()
        if original is None:
            raise forms.ValidationError(_("There is no public question with that number."))
        return original


class NotificationSettingsForm(forms.ModelForm):
    class Meta:
        model = Member
        fields = ["email"]
        widgets = {"email": forms.RadioSelect}
