"""Blocks a lesson is written in, on top of the shared ones. Each renders with its own template
under templates/components/streamfield/blocks/. Nothing loads from another site: a video is a
file on this platform, or a plain link (officials on LGWAN terminals often cannot reach video
sites)."""

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.documents.blocks import DocumentChooserBlock

from core.blocks import BLOCK_TEMPLATES, BaseStreamBlock


class MarkdownBlock(blocks.TextBlock):
    """Markdown, rendered and sanitised on the server (core.markdown)."""

    class Meta:
        icon = "code"
        label = _("Markdown")
        template = f"{BLOCK_TEMPLATES}/markdown_block.html"


class VideoBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("Title"), max_length=120)
    file = DocumentChooserBlock(
        label=_("Video file"),
        required=False,
        help_text=_("An MP4 uploaded here, played from this site."),
    )
    url = blocks.URLBlock(
        label=_("Link to the video elsewhere"),
        required=False,
        help_text=_("Shown as a link, never embedded."),
        search_index=False,
    )
    transcript = blocks.TextBlock(label=_("Transcript or summary"), required=False)

    class Meta:
        icon = "media"
        label = _("Video")
        template = f"{BLOCK_TEMPLATES}/video_block.html"


class DownloadBlock(blocks.StructBlock):
    document = DocumentChooserBlock(label=_("Document"))
    description = blocks.CharBlock(label=_("Description"), required=False, max_length=200)

    class Meta:
        icon = "doc-full"
        label = _("Download")
        template = f"{BLOCK_TEMPLATES}/download_block.html"


class CodeBlock(blocks.StructBlock):
    language = blocks.ChoiceBlock(
        label=_("Language"),
        choices=[
            ("text", _("Plain text")),
            ("python", "Python"),
            ("sql", "SQL"),
            ("vba", "VBA"),
            ("powershell", "PowerShell"),
            ("json", "JSON"),
            ("csv", "CSV"),
        ],
        default="text",
        search_index=False,
    )
    caption = blocks.CharBlock(label=_("Caption"), required=False, max_length=120)
    code = blocks.TextBlock(label=_("Code"))

    class Meta:
        icon = "code"
        label = _("Code")
        template = f"{BLOCK_TEMPLATES}/code_block.html"


class ReflectionBlock(blocks.StructBlock):
    prompt = blocks.TextBlock(label=_("Question for the learner"))
    hint = blocks.CharBlock(label=_("Hint"), required=False, max_length=200)

    class Meta:
        icon = "help"
        label = _("Reflection prompt")
        template = f"{BLOCK_TEMPLATES}/reflection_block.html"


class LessonStreamBlock(BaseStreamBlock):
    markdown = MarkdownBlock()
    video = VideoBlock()
    download = DownloadBlock()
    code = CodeBlock()
    reflection = ReflectionBlock()
