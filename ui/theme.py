"""Look of the Gradio pages: system Chinese fonts (no web-font download), the citation
card styles, and the script that opens a card when its [n] is clicked."""

from __future__ import annotations

from importlib import resources

import gradio as gr


def _static(name: str) -> str:
    return resources.files("ui").joinpath("static", name).read_text(encoding="utf-8")


FONTS = ["Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", "sans-serif"]
# A hovered primary button stays dark enough for white text (4.5:1); the theme's own
# hover red is too light.
THEME = gr.themes.Soft(primary_hue="red", font=FONTS, font_mono=["Noto Sans Mono CJK SC", "monospace"]).set(
    button_primary_background_fill_hover="#b91c1c", button_primary_background_fill_hover_dark="#b91c1c",
)
CHAT_CSS = _static("chat.css")
CLICK_TO_CITATION_JS = f"<script>{_static('chat.js')}</script>"
