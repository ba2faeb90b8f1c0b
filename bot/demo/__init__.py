"""The demo `make run` loads into an empty database: the organisation (``org.yaml``) and the
company at work in it (``company.py``)."""
