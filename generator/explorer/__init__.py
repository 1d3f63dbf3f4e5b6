"""The live "Try it" explorer on endpoint pages.

Importing this package registers the panel with the endpoint page renderer; the plugin adds
the script (`SCRIPT_URI`, content from `explorer_script()`) and the stylesheet
(`generator/assets/explorer.css`, copied with the other assets).
"""

from __future__ import annotations

from ..pages import ASIDE_EXTENSIONS
from .bundle import SCRIPT_URI, explorer_script
from .panel import render_panel

if render_panel not in ASIDE_EXTENSIONS:
    ASIDE_EXTENSIONS.append(render_panel)

__all__ = ["SCRIPT_URI", "explorer_script", "render_panel"]
