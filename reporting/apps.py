from django.apps import AppConfig


class ReportingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reporting"
    verbose_name = "実績報告"

    def ready(self) -> None:
        # A submitted (or closed) round closes its year to the department's
        # own writes: the entry-sheet import and the admin ask this check
        # through indicators.entry_locks, which knows no round.
        from demo.synthetic import register_dependents
        from indicators import entry_locks
        from reporting.locks import round_refusals
        from reporting.selectors import rows_under
        from reporting.services import submissions_sheet_entered

        entry_locks.register(round_refusals)
        entry_locks.on_written(submissions_sheet_entered)
        # Synthetic plans (make bench) may have rounds: they go with them.
        register_dependents(rows_under)
