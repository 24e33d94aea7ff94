"""StreamField blocks shared by every page type. Each block renders with its own template under
templates/components/streamfield/blocks/."""

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.images.blocks import ImageChooserBlock

BLOCK_TEMPLATES = "components/streamfield/blocks"


class HeadingBlock(blocks.StructBlock):
    text = blocks.CharBlock(label=_("Heading"), max_length=120)
    level = blocks.ChoiceBlock(
        label=_("Level"),
        choices=[("h2", _("Section (h2)")), ("h3", _("Subsection (h3)"))],
        default="h2",
        search_index=False,
    )

    class Meta:
        icon = "title"
        label = _("Heading")
        template = f"{BLOCK_TEMPLATES}/heading_block.html"


class ImageBlock(blocks.StructBlock):
    image = ImageChooserBlock(label=_("Image"))
    alt_text = blocks.CharBlock(
        label=_("Alternative text"),
        max_length=200,
        help_text=_("Describe the image for people who cannot see it."),
    )
    caption = blocks.CharBlock(label=_("Caption"), required=False, max_length=200)

    class Meta:
        icon = "image"
        label = _("Image")
        template = f"{BLOCK_TEMPLATES}/image_block.html"


class CalloutBlock(blocks.StructBlock):
    kind = blocks.ChoiceBlock(
        label=_("Kind"),
        choices=[("info", _("Note")), ("tip", _("Tip")), ("warning", _("Caution"))],
        default="info",
        search_index=False,
    )
    title = blocks.CharBlock(label=_("Title"), required=False, max_length=120)
    text = blocks.RichTextBlock(label=_("Text"), features=["bold", "italic", "link", "ul", "ol"])

    class Meta:
        icon = "warning"
        label = _("Callout")
        template = f"{BLOCK_TEMPLATES}/callout_block.html"


class FigureBlock(blocks.StructBlock):
    value = blocks.CharBlock(label=_("Figure"), max_length=40, help_text=_("e.g. 292団体, 73.7%"))
    label = blocks.CharBlock(label=_("What it counts"), max_length=200)
    source = blocks.CharBlock(label=_("Source"), required=False, max_length=200)
    source_url = blocks.URLBlock(label=_("Source URL"), required=False, search_index=False)


class FiguresBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("Title"), required=False, max_length=120)
    figures = blocks.ListBlock(FigureBlock(), label=_("Figures"), min_num=1)

    class Meta:
        icon = "table"
        label = _("Key figures")
        template = f"{BLOCK_TEMPLATES}/figures_block.html"


class LinkCardBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("Title"), max_length=80)
    text = blocks.TextBlock(label=_("Text"), max_length=300)
    page = blocks.PageChooserBlock(label=_("Page"), required=False)
    url = blocks.CharBlock(
        label=_("Or a site path"),
        required=False,
        max_length=200,
        help_text=_("A path on this site such as /people/, used when no page is chosen."),
        search_index=False,
    )

    class Meta:
        icon = "link"


class LinkCardsBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("Title"), required=False, max_length=120)
    cards = blocks.ListBlock(LinkCardBlock(), label=_("Cards"), min_num=1)

    class Meta:
        icon = "grip"
        label = _("Link cards")
        template = f"{BLOCK_TEMPLATES}/link_cards_block.html"


class BaseStreamBlock(blocks.StreamBlock):
    heading = HeadingBlock()
    paragraph = blocks.RichTextBlock(
        label=_("Paragraph"),
        icon="pilcrow",
        features=["h3", "bold", "italic", "link", "ul", "ol", "document-link"],
        template=f"{BLOCK_TEMPLATES}/paragraph_block.html",
    )
    image = ImageBlock()
    callout = CalloutBlock()
    figures = FiguresBlock()
    link_cards = LinkCardsBlock()
