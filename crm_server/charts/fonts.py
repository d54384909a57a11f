"""The font Chinese chart labels are drawn with, resolved once at start-up: the configured file
([reports] chart_font), then the bundled WenQuanYi Micro Hei, then fonts the system has (Microsoft YaHei, SimHei,
DengXian on Windows; WenQuanYi, Noto CJK, Source Han on Linux). A font counts only if it has every glyph of
PROBE, so a Latin font picked by mistake is refused instead of drawing boxes."""
from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from matplotlib import font_manager
from matplotlib.ft2font import FT2Font

from ..paths import STATIC_DIR

log = logging.getLogger(__name__)

PROBE = "客户关系管理系统销售额回款万元￥¥%年月日一二三四"
BUNDLED = STATIC_DIR / "fonts" / "wqy-microhei" / "wqy-microhei.ttc"


def _windows_fonts_dir() -> Path:
    return Path(os.environ.get("WINDIR", r"C:\Windows")) / "Fonts"


def system_candidates() -> list[Path]:
    """Well-known CJK font files, most readable first, for Windows and Linux (and macOS)."""
    windows = _windows_fonts_dir()
    return [
        windows / "msyh.ttc", windows / "msyh.ttf", windows / "Deng.ttf", windows / "simhei.ttf",
        windows / "simsun.ttc",
        Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
        Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
        Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
        Path("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc"),
        Path("/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc"),
        Path("/usr/share/fonts/opentype/source-han-sans/SourceHanSansSC-Regular.otf"),
        Path("/usr/share/fonts/truetype/arphic/uming.ttc"),
        Path("/System/Library/Fonts/PingFang.ttc"),
        Path("/System/Library/Fonts/STHeiti Medium.ttc"),
    ]


def covers(path: Path, text: str = PROBE) -> bool:
    """Whether the font file has a glyph for every character of `text` (unreadable files do not)."""
    try:
        face = FT2Font(str(path))
    except (OSError, RuntimeError, ValueError):
        return False
    return all(face.get_char_index(ord(char)) for char in text if not char.isspace())


@dataclass(frozen=True)
class ChartFont:
    path: Path
    family: str
    origin: str  # "config", "bundled" or "system"


_lock = threading.Lock()
_resolved: dict[str, ChartFont] = {}


def resolve(configured: str | None = None, bundled: Path | None = BUNDLED,
            candidates: list[Path] | None = None) -> ChartFont:
    """The first usable CJK font in the order configured, bundled, system; registered with matplotlib.
    Raises RuntimeError when there is none, naming what was tried (the charts would draw boxes)."""
    tried = []
    ordered: list[tuple[Path, str]] = []
    if configured:
        ordered.append((Path(configured), "config"))
    if bundled is not None:
        ordered.append((bundled, "bundled"))
    ordered += [(path, "system") for path in (system_candidates() if candidates is None else candidates)]
    for path, origin in ordered:
        tried.append(str(path))
        if path.is_file() and covers(path):
            font_manager.fontManager.addfont(str(path))
            family = font_manager.FontProperties(fname=str(path)).get_name()
            return ChartFont(path, family, origin)
        if origin == "config":
            log.warning("chart font %s is missing or lacks Chinese glyphs; trying the bundled one", path)
    raise RuntimeError("no font with Chinese glyphs for charts; tried: " + ", ".join(tried))


def chart_font(configured: str | None = None) -> ChartFont:
    """The resolved font, once per configured value (start-up resolves it; later calls are a dict lookup)."""
    key = configured or ""
    with _lock:
        if key not in _resolved:
            _resolved[key] = resolve(configured)
        return _resolved[key]
