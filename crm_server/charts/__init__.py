"""Charts drawn on the server with matplotlib (Figure + Agg, never pyplot: it keeps global state and is not
thread-safe): the house style, the CJK font, PNG/SVG output, and a cache shared by everyone who may see the
same figures."""

import logging

log = logging.getLogger(__name__)


def setup(app) -> None:
    """Resolve the CJK font at start-up and make it every chart's font; without one, say so in the log (charts
    would draw boxes) instead of refusing to start the whole CRM."""
    from .fonts import chart_font
    from .render import apply_font
    configured = app.config["CRM_SETTINGS"].raw["reports"]["chart_font"] or None
    try:
        font = chart_font(configured)
    except RuntimeError as exc:
        log.error("%s", exc)
        return
    apply_font(font)
    app.extensions["crm_chart_font"] = font
