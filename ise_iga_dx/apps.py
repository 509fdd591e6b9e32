from django.contrib.admin.apps import AdminConfig


class KpiAdminConfig(AdminConfig):
    """The admin, opened by role rather than by the is_staff flag."""

    default_site = "ise_iga_dx.admin_site.KpiAdminSite"
