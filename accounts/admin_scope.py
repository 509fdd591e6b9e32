"""What every plan-data admin shares: the user's scope, everywhere.

- the list and every object page show only rows within the scope
  (:func:`accounts.scoping.limit_to_scope`); another city's object answers
  404, as if it did not exist, not the admin's "perhaps deleted" redirect;
- change and delete need the model permission *and* the object within the
  scope for changing (a department user reads a KGI but changes only its
  actuals);
- foreign-key and many-to-many choices offer only what the user may use,
  worded and ordered as :data:`CHOICE_STYLES` says (a measure's policy
  names its plan);
- the history page follows the object's visibility.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Window
from django.http import Http404

from accounts.roles import scope_of
from accounts.scoping import in_scope, limit_to_scope
from ise_iga_dx.lib.params import parse_id

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.db.models import Model, QuerySet
    from django.http import HttpRequest, HttpResponse

NOT_FOUND = "見つかりません。"


@dataclass(frozen=True)
class ChoiceStyle:
    """How the objects of one model read and sort in a choice list."""

    label: Callable[[Any], str]
    ordering: tuple[str, ...]
    related: tuple[str, ...] = ()


# By model label ("plans.measure"). Filled by the admin's top layer
# (office.admin.plans), which knows the plan structure: a choice of policy,
# measure or initiative then names its plan on every admin page, whichever
# admin offers it, in the documents' order.
CHOICE_STYLES: dict[str, ChoiceStyle] = {}


class ScopedAdminMixin:
    # (model label, field name) → filter choices by what the user may *enter*
    # rather than change: a department adds actuals to KGIs it cannot edit.
    ENTRY_CHOICES = {("indicators.actual", "indicator")}
    # Related models offered by what the user may *read*: the DX office files
    # a plan or a department under its own municipality, which only the
    # system administrator may change.
    READ_CHOICES = frozenset({"plans.municipality"})

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return limit_to_scope(super().get_queryset(request), request.user)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        allowed = super().has_change_permission(request, obj)
        if not allowed or obj is None:
            return allowed
        return in_scope(obj, request.user, change=True)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        allowed = super().has_delete_permission(request, obj)
        if not allowed or obj is None:
            return allowed
        return in_scope(obj, request.user, change=True)

    def choices_within_scope(self, db_field: Any, field: Any, request: HttpRequest) -> Any:
        if field is None or not hasattr(field, "queryset"):
            return field
        key = (db_field.model._meta.label_lower, db_field.name)
        if key in self.ENTRY_CHOICES:
            scope = scope_of(request.user)
            field.queryset = field.queryset.filter(scope.entry_q())
        elif field.queryset.model._meta.label_lower in self.READ_CHOICES:
            field.queryset = limit_to_scope(field.queryset, request.user)
        else:
            field.queryset = limit_to_scope(field.queryset, request.user, change=True)
        style = CHOICE_STYLES.get(field.queryset.model._meta.label_lower)
        if style is not None:
            field.queryset = field.queryset.select_related(*style.related).order_by(
                *style.ordering
            )
            field.label_from_instance = style.label
        return field

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        return self.choices_within_scope(db_field, field, request)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        return self.choices_within_scope(db_field, field, request)

    def _get_obj_does_not_exist_redirect(self, request: HttpRequest, opts: Any, object_id: str):
        # Out of scope and nonexistent look the same: a 404.
        raise Http404(NOT_FOUND)

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict | None = None
    ) -> HttpResponse:
        # As on the change page, a model the user has no permission for is a
        # 403 whatever the object; only then does out of scope mean 404.
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        if self.get_object(request, object_id) is None:
            raise Http404(NOT_FOUND)
        return super().history_view(request, object_id, extra_context)


class ScopedRelatedFilter(admin.RelatedFieldListFilter):
    """A related-object filter offering only the objects within the user's scope.

    Unlike RelatedOnlyFieldListFilter it lists every such object, with or
    without rows, so filtering by a city with no KGIs yet shows none.

    A national instance has 1,741 municipalities and as many plans: listed
    in full, the two filters made the actual list 485 KB of links. Above
    CHOICES_SHOWN objects the filter lists only the chosen one and says how
    many it leaves out (the search box finds them by name). Plans narrow to
    the municipality chosen in the municipality filter, if any.
    """

    CHOICES_SHOWN = 100
    omitted = 0

    def field_choices(self, field: Any, request: HttpRequest, model_admin: Any) -> list:
        ordering = self.field_admin_ordering(field, request, model_admin)
        queryset = limit_to_scope(field.related_model._default_manager.all(), request.user)
        municipality = chosen_municipality(request)
        if municipality is not None and any(
            model_field.name == "municipality" for model_field in field.related_model._meta.fields
        ):
            queryset = queryset.filter(municipality_id=municipality)
        if ordering:
            queryset = queryset.order_by(*ordering)
        # One query whatever the number of objects: the first
        # CHOICES_SHOWN + 1 with the total beside each (a window count).
        # Only a list too long to show reads its chosen objects apart.
        objects = list(queryset.annotate(choice_total=Window(Count("pk")))[
            :self.CHOICES_SHOWN + 1])
        total = objects[0].choice_total if objects else 0
        if total > self.CHOICES_SHOWN:
            chosen = [pk for value in self.lookup_val or () if (pk := parse_id(value)) is not None]
            objects = list(queryset.filter(pk__in=chosen)) if chosen else []
        self.omitted = total - len(objects)
        return [(obj.pk, str(obj)) for obj in objects]

    def has_output(self) -> bool:
        return bool(self.omitted) or super().has_output()

    def choices(self, changelist: Any):
        yield from super().choices(changelist)
        if self.omitted:
            yield {
                "selected": False,
                "query_string": changelist.get_query_string(),
                "display": f"ほか{self.omitted:,}件は省略（検索欄で名前から絞り込めます）",
            }


def chosen_municipality(request: HttpRequest) -> int | None:
    """Return the municipality id chosen in a list's municipality filter, if one is."""
    for key, value in request.GET.items():
        if key.endswith("municipality__id__exact") and (pk := parse_id(value)) is not None:
            return pk
    return None
