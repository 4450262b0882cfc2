"""The constraint catalog: documented limits per target platform, as YAML data, with its model and loader.

The catalog is data: it imports nothing from scoring/. The metric names a constraint may use are passed
in by the caller (``load_catalog(metrics=METRICS)``) so that the check needs no import of scoring code.
"""
