"""`python -m huiqi`: the same command line as the `huiqi` script."""

from huiqi.cli import app

app(prog_name="huiqi")
