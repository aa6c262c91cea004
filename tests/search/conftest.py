"""The search tests use the real sample list: ``sample_rows``, ``sample_stores`` and ``sample_index`` in
``tests/conftest.py``."""
