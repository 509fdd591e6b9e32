"""The table of the public pages' rendered bytes (the "public" cache, settings.CACHES).

Made by ``createcachetable`` here, so that ``migrate`` alone sets every
installation up (make run, the tests, deploy/manage.sh migrate). The
command skips a table that exists.
"""

from django.core.management import call_command
from django.db import migrations


def create_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("editions", "0001_initial")]

    operations = [migrations.RunPython(create_table, migrations.RunPython.noop)]
