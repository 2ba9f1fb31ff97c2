"""`python -m service` runs the `dosecheck` command."""

from service.cli import app

app(prog_name="dosecheck")
