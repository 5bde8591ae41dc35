"""The `huiqi` command line: the one place where the knowledge base, the assistant,
the web app and the evals are put to work together."""
