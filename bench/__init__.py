"""Runnable benchmarks that print figures; see bench/README.md. Nothing here is imported by navplugin."""
