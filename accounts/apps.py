from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = "利用者と権限"

    def ready(self) -> None:
        from accounts.groups import ensure_role_groups

        # Sent per app, in INSTALLED_APPS order: "accounts" comes after the
        # apps whose permissions the groups hold, so those exist by then.
        post_migrate.connect(
            ensure_role_groups, sender=self, dispatch_uid="accounts.ensure_role_groups"
        )
