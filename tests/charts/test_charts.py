"""Charts: every kind draws a real PNG of the expected size with Chinese labels as glyphs (a missing glyph fails
the test), the CJK font is resolved in the documented order, and the cache draws once per data version."""
from __future__ import annotations

import io
import struct
import warnings
from decimal import Decimal
from pathlib import Path

import matplotlib
import pytest
from matplotlib.figure import Figure

from crm_server.charts import fonts, render
from crm_server.charts.cache import ByteLimitedCache, cached
from crm_server.core import audit
from crm_server.extensions import db

DEJAVU = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def missing_glyph_warnings(draw) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        draw()
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


CHARTS = {
    "bar": lambda: render.bar(["华东区", "华南区", "华北区"], [render.Series("赢单金额", [Decimal("1234567.89"), 0, 98000])],
                              unit=render.MONEY, title="各区域赢单金额"),
    "grouped": lambda: render.bar(["一月", "二月"], [render.Series("签约", [5, 7]), render.Series("回款", [3, 9])],
                                  title="签约与回款"),
    "stacked_horizontal": lambda: render.bar(["张伟", "李芳"], [render.Series("电话", [3, 5]), render.Series("拜访", [1, 2])],
                                             horizontal=True, stacked=True, title="跟进次数"),
    "line": lambda: render.line([f"{m}月" for m in range(1, 13)],
                                [render.Series("今年", list(range(12))), render.Series("去年", list(range(12)),
                                                                                     comparison=True)],
                                unit=render.MONEY, title="每月赢单金额（万元）"),
    "pie": lambda: render.pie(["制造业", "零售", "教育"], [5, 3, 2], title="客户行业分布"),
    "donut": lambda: render.pie(["甲", "乙"], [Decimal("1.50"), Decimal("2.50")], unit=render.MONEY, donut=True,
                                title="回款方式"),
    "funnel": lambda: render.funnel(["初步接洽", "需求确认", "赢单"], [100, 40, 10], title="销售漏斗"),
}


@pytest.mark.parametrize("kind", sorted(CHARTS))
def test_every_kind_draws_a_sharp_png_with_every_chinese_glyph(app, kind):
    data = {}
    problems = missing_glyph_warnings(lambda: data.update(png=render.png(CHARTS[kind]()),
                                                          small=render.png(CHARTS[kind](), scale=1),
                                                          svg=render.svg(CHARTS[kind]())))
    assert problems == []
    assert png_size(data["png"]) == (1280, 720)
    assert png_size(data["small"]) == (640, 360)
    assert data["svg"].lstrip().startswith(b"<?xml") and b"<svg" in data["svg"]


def test_the_glyph_check_can_fail(app):
    """The detector is real: Chinese in a Latin-only font warns."""
    def draw():
        fig = Figure(figsize=(2, 1))
        fig.text(0.1, 0.5, "客户", fontfamily="DejaVu Sans")
        fig.savefig(io.BytesIO(), format="png")
    assert missing_glyph_warnings(draw)


def test_the_app_draws_with_a_font_that_has_chinese(app):
    font = app.extensions["crm_chart_font"]
    assert fonts.covers(font.path)
    assert matplotlib.rcParams["font.sans-serif"][0] == font.family


def test_font_order_config_then_bundled_then_system(tmp_path):
    configured = fonts.resolve(str(fonts.BUNDLED), bundled=None, candidates=[])
    assert configured.origin == "config"
    # a configured Latin-only font is passed over for the bundled one
    assert fonts.resolve(str(DEJAVU)).origin == "bundled"
    # without the bundled file, a system font with Chinese is used; a Latin one is not
    system = fonts.resolve(None, bundled=tmp_path / "missing.ttc", candidates=[DEJAVU, fonts.BUNDLED])
    assert system.origin == "system" and system.path == fonts.BUNDLED
    with pytest.raises(RuntimeError, match="no font with Chinese glyphs"):
        fonts.resolve(None, bundled=None, candidates=[DEJAVU, tmp_path / "nothing.ttf"])


def test_windows_font_folder_comes_first_among_system_fonts(monkeypatch):
    monkeypatch.setenv("WINDIR", r"D:\Win")
    first = fonts.system_candidates()[0]
    assert str(first).replace("\\", "/").endswith("Win/Fonts/msyh.ttc")


def test_money_labels_use_wan_and_yi():
    assert render.format_value(Decimal("123456.78"), render.MONEY, render.use_wan([Decimal("123456.78")])) == "12.3万"
    assert render.format_value(Decimal("2500000000"), render.MONEY, render.use_wan([2500000000])) == "25.0亿"
    assert render.format_value(Decimal("9876.5"), render.MONEY, render.use_wan([9876.5])) == "¥9,876"
    assert render.format_value(Decimal("12.5"), render.PERCENT) == "12.5%"
    assert render.format_value(12345, render.COUNT) == "12,345"


def test_byte_limited_cache_drops_the_least_recently_used():
    cache = ByteLimitedCache(limit=10)
    cache.put("a", b"1234", 4)
    cache.put("b", b"1234", 4)
    assert cache.get("a") == (True, b"1234")  # a is now the most recent
    cache.put("c", b"1234", 4)                # over 10 bytes: b goes
    assert cache.get("b") == (False, None)
    assert cache.get("a")[0] and cache.get("c")[0]
    cache.put("huge", b"x" * 11, 11)          # larger than the whole cache: not kept
    assert cache.get("huge") == (False, None)


def test_cached_draws_once_per_data_version(app, admin):
    calls = []

    def produce():
        calls.append(1)
        return b"png"

    with app.app_context(), app.test_request_context():  # a fresh context per request, as when served
        assert cached(("test", 1), produce) == b"png"
        assert cached(("test", 1), produce) == b"png"
        assert len(calls) == 1
    audit.record(admin, "test.changed")  # any audited write is a new data version
    db.session.commit()
    with app.app_context(), app.test_request_context():
        cached(("test", 1), produce)
    assert len(calls) == 2
