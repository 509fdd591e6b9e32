from django.apps import AppConfig


class EditionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "editions"
    verbose_name = "会議資料版と公表"

    def ready(self) -> None:
        from demo.synthetic import register_dependents
        from editions.selectors import rows_under

        register_dependents(rows_under)
