"""Demo and synthetic data: the commands that fill a database, not the app itself.

- ``seed_plans``: load the plans shipped in fixtures/ that are not there yet.
- ``create_demo_user``: the first logins of a new installation, one per role.
- ``generate_synthetic`` and ``remove_synthetic``, with ``demo/synthetic.py``:
  clearly labelled synthetic plans for scale and speed tests
  (docs/synthetic-data.md).

No page or admin code imports from here, and the app has no models.
"""
