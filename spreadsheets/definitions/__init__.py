"""Loading measures (施策) and KGIs into an existing plan from a template.

Iga's plan document lists its directions but not its KGIs, which live in a
separate action plan; the DX office loads them from the workbook that
:func:`definitions_template` writes. The rules are those of the actuals
importer (:mod:`spreadsheets.actuals`): :func:`preview_definitions` checks
every row and says what would change without writing, and
:func:`apply_definitions` writes everything in one transaction or nothing.

A row is one KGI. For a KGI already stored, a blank cell keeps the stored
value, as a blank target cell keeps that year's target; for a new KGI it
means the default. Nothing is deleted: a KGI, measure or target missing
from the file stays as it is.

Modules: ``columns`` (the template's columns and cells), ``reader`` with
``structure`` and ``checks`` (the preview), ``changes`` (its lines),
``writer`` (applying it) and ``template`` (the download).
"""

from spreadsheets.definitions.columns import (
    GUIDE_SHEET_TITLE,
    TEMPLATE_SHEET_TITLE,
    DefinitionImport,
    definition_columns,
)
from spreadsheets.definitions.reader import preview_definitions, read_definitions
from spreadsheets.definitions.template import (
    definitions_template,
    definitions_template_filename,
    template_headers,
)
from spreadsheets.definitions.writer import apply_definitions, write_definitions

__all__ = [
    "GUIDE_SHEET_TITLE",
    "TEMPLATE_SHEET_TITLE",
    "DefinitionImport",
    "apply_definitions",
    "definition_columns",
    "definitions_template",
    "definitions_template_filename",
    "preview_definitions",
    "read_definitions",
    "template_headers",
    "write_definitions",
]
