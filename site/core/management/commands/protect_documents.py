"""Moves documents stored before core.media gave them random folders to such a folder, so that
no stored document can be fetched by guessing its address from its name."""

from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand
from wagtail.documents import get_document_model

from core.media import PROTECTED_NAME, protected_name


class Command(BaseCommand):
    help = "Store every document under an address that cannot be guessed (documents/<random>/)."

    def handle(self, *args, **options):
        moved = 0
        for document in get_document_model().objects.all():
            old = document.file.name
            if not old or PROTECTED_NAME.match(old):
                continue
            storage = document.file.storage
            with storage.open(old, "rb") as source:
                content = source.read()
            new = storage.save(f"documents/{protected_name(old)}", ContentFile(content))
            type(document).objects.filter(pk=document.pk).update(file=new)
            storage.delete(old)
            moved += 1
        self.stdout.write(f"{moved} document(s) moved to unguessable names.")
