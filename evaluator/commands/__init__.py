"""One module per top-level command; each exposes ``command`` (a click command or group).

Commands parse options, call one library function, print, and leave exit codes to ``cli.py``;
``support`` holds the options and helpers several commands share. Only this package and ``cli.py``
import click.
"""
