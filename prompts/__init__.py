"""Prompt and reply templates, one text file each. A file starts with comment lines
(`# …`); the line `# variables: a, b` lists the placeholders the text uses as `{a}`.

Example:
    >>> load("refusal").variables
    ('reason', 'closest', 'contact')
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class Template:
    """提示词模板：名称、正文与变量。"""

    name: str
    text: str
    variables: tuple[str, ...]

    def render(self, **values: str) -> str:
        missing = [v for v in self.variables if v not in values]
        extra = [k for k in values if k not in self.variables]
        if missing or extra:
            raise ValueError(f"template {self.name}: missing {missing}, unexpected {extra}")
        return self.text.format(**values)


@cache
def load(name: str) -> Template:
    """The template `prompts/<name>.txt`, its placeholders checked against its header."""
    raw = resources.files("prompts").joinpath(f"{name}.txt").read_text("utf-8")
    lines = raw.splitlines()
    header = [line for line in lines if line.startswith("#")]
    body = "\n".join(line for line in lines if not line.startswith("#")).strip("\n")
    declared: tuple[str, ...] = ()
    for line in header:
        match = re.match(r"#\s*variables:\s*(.*)", line)
        if match:
            declared = tuple(v.strip() for v in match.group(1).split(",") if v.strip())
    used = tuple(dict.fromkeys(f for _, f, _, _ in string.Formatter().parse(body) if f))
    if set(used) != set(declared):
        raise ValueError(f"prompts/{name}.txt uses {used} but declares {declared}")
    return Template(name, body, declared)
