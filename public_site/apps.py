from __future__ import annotations

from typing import Any

from django.apps import AppConfig


class PublicConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "public_site"
    verbose_name = "公表ページ"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from editions.models import Publication

        post_save.connect(warm_new_publication, sender=Publication,
                          dispatch_uid="public_site.warm_new_publication")


def warm_new_publication(sender: Any, instance: Any, created: bool, raw: bool = False,
                         **kwargs: Any) -> None:
    """Render a new publication's pages in its own transaction (public_site.warming).

    A page that cannot be rendered refuses the publication, in Japanese
    (the office's page shows the message; nothing is published).
    """
    if created and not raw:
        from editions.services import EditionRefused
        from public_site.warming import PageFailed, warm

        try:
            warm(instance)
        except PageFailed as failure:
            raise EditionRefused(
                f"公表ページ（{failure.path}）を表示できないため、公表しませんでした。"
                "システム管理者に連絡してください。"
            ) from failure
