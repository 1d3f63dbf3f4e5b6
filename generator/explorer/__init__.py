"""The live "Try it" explorer on endpoint pages.

The plugin passes `render_panel` to the endpoint page renderer and adds the script
(`SCRIPT_URI`, content from `explorer_script()`) and the stylesheet (`generator/assets/explorer.css`,
copied with the other assets).
"""

from __future__ import annotations

from apidocs.explorer.bundle import SCRIPT_URI, explorer_script
from apidocs.explorer.context import ServeContext
from apidocs.explorer.panel import render_panel

__all__ = ["SCRIPT_URI", "ServeContext", "explorer_script", "render_panel"]
