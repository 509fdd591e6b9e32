from django.apps import AppConfig


class OfficeConfig(AppConfig):
    name = "office"
    verbose_name = "DX推進担当の管理画面"
