from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate

AXES_VERBOSE_NAME = "ログインの記録（連続失敗によるロック）"


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = "利用者と権限"

    def ready(self) -> None:
        from accounts.groups import ensure_role_groups

        # django-axes names its app "Axes" (no verbose_name, no Japanese
        # catalogue): the admin index shows this instead. Its models' and
        # fields' names are translated in accounts/locale/ja (no migration).
        apps.get_app_config("axes").verbose_name = AXES_VERBOSE_NAME

        # Sent per app, in INSTALLED_APPS order: "accounts" comes after the
        # apps whose permissions the groups hold, so those exist by then.
        post_migrate.connect(
            ensure_role_groups, sender=self, dispatch_uid="accounts.ensure_role_groups"
        )
