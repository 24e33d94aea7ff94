"""gunicorn's settings for this project, read from the directory it starts in (the project root:
``gunicorn config.wsgi --chdir site``). Options on the command line override these.

The application is loaded once in the master before the workers fork (``preload_app``), with
the Japanese dictionary opened, so the workers share those pages instead of each building its
own copy: Django, Wagtail and the apps' modules, and Sudachi's tokenizer (its dictionary is a
200 MB file mapped into memory, which the kernel shares between processes anyway). Nothing that
holds a socket survives into the workers: the master closes its database and cache connections
before forking, and each worker opens its own on first use. The search index is opened by each
worker when it first searches (search.backends), never in the master.
"""

preload_app = True


def when_ready(server):
    # search.analysis holds one tokenizer per thread; the workers' main thread inherits this one.
    from django.core.cache import caches
    from django.db import connections

    from search.analysis import sudachi

    sudachi().tokenize("自治体")
    connections.close_all()
    caches.close_all()
