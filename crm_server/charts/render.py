"""The chart kinds reports draw, in one house style: bar (vertical, horizontal, grouped, stacked), line (with the
previous period as a dashed comparison), pie or donut, and funnel. Each returns a matplotlib Figure; `png` and
`svg` turn it into bytes. Rendering holds a lock: matplotlib's font cache is shared and not thread-safe."""
from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from decimal import Decimal
from typing import Sequence

import matplotlib
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from .fonts import ChartFont

matplotlib.use("Agg")

# The palette of the UI (Bootstrap's blue first); a comparison series is drawn in grey.
PALETTE = ("#2563eb", "#16a34a", "#f59e0b", "#dc2626", "#7c3aed", "#0891b2", "#db2777", "#65a30d", "#64748b")
COMPARISON = "#94a3b8"
TEXT = "#1f2937"
GRID = "#e5e7eb"
WIDTH, HEIGHT, DPI = 6.4, 3.6, 100  # 640 × 360 CSS pixels; png(scale=2) gives 1280 × 720 for sharp screens
MONEY, COUNT, PERCENT, DAYS = "money", "count", "percent", "days"
WAN = 10_000  # 万
YI = 100_000_000  # 亿
OTHERS_LABEL = "其他"

_render_lock = threading.RLock()


def apply_font(font: ChartFont) -> None:
    """Set once at start-up (before any request draws): every text of every chart uses the CJK font."""
    matplotlib.rcParams.update({
        "font.family": "sans-serif",
        "font.sans-serif": [font.family, "DejaVu Sans"],
        "axes.unicode_minus": False,  # the CJK font has no U+2212; a hyphen reads the same
        "svg.fonttype": "path",       # an SVG download shows the glyphs without the font installed
    })


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence
    comparison: bool = False  # the previous period: dashed and grey on a line chart


def _float(value) -> float:
    if value is None:
        return 0.0
    return float(value) if not isinstance(value, Decimal) else float(value)


def use_wan(values) -> str | None:
    """Money of 100,000 or more reads better in 万, of 1,000,000,000 or more in 亿; None: in yuan."""
    largest = max((abs(_float(v)) for v in values), default=0)
    return "亿" if largest >= 10 * YI else "万" if largest >= 10 * WAN else None


def format_value(value, unit: str, wan: str | None = None) -> str:
    """A figure as labels show it: ¥12,345 / 12.3万 / 3.2亿 / 1,234 / 12.5% / 36 天."""
    number = _float(value)
    if unit == MONEY:
        if wan:
            return f"{number / (YI if wan == '亿' else WAN):,.1f}{wan}"
        return f"¥{number:,.0f}" if abs(number) >= 100 else f"¥{number:,.2f}"
    if unit == PERCENT:
        return f"{number:.1f}%"
    if unit == DAYS:
        return f"{number:,.0f} 天"
    return f"{number:,.0f}" if number == int(number) else f"{number:,.1f}"


def _axis_formatter(unit: str, wan: str | None) -> FuncFormatter:
    def fmt(value, _pos):
        if unit == MONEY:
            if wan:
                scaled = value / (YI if wan == "亿" else WAN)
                return f"{scaled:,.0f}{wan}" if scaled == int(scaled) else f"{scaled:,.1f}{wan}"
            return f"¥{value:,.0f}"
        if unit == PERCENT:
            return f"{value:.0f}%"
        return f"{value:,.0f}"
    return FuncFormatter(fmt)


def _label_width(labels: Sequence[str]) -> float:
    """Roughly how wide the longest label is, in inches at 9 pt (a CJK character is about one em)."""
    ems = max((sum(1.0 if ord(c) > 0x2E80 else 0.6 for c in str(label)) for label in labels), default=0)
    return ems * 9 / 72


def _figure(title: str | None, left: float = 0.75, bottom: float = 0.45, right: float = 0.2) -> tuple[Figure, object]:
    """A figure with fixed margins in inches (a constrained layout would draw everything twice, for 70 ms)."""
    fig = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI)
    top = 0.45 if title else 0.25
    fig.subplots_adjust(left=min(left, WIDTH * 0.45) / WIDTH, right=1 - right / WIDTH, bottom=bottom / HEIGHT,
                        top=1 - top / HEIGHT)
    ax = fig.add_subplot()
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(GRID)
    ax.tick_params(colors=TEXT, labelsize=9, length=0)
    if title:
        ax.set_title(title, loc="left", fontsize=11, color=TEXT, pad=10)
    return fig, ax


def _legend(ax, series: Sequence[Series]) -> None:
    if len(series) > 1:
        ax.legend(frameon=False, fontsize=9, loc="upper left", bbox_to_anchor=(0, 1.02), ncols=min(len(series), 4))


def bar(categories: Sequence[str], series: Sequence[Series], unit: str = COUNT, horizontal: bool = False,
        stacked: bool = False, title: str | None = None, value_labels: bool = True) -> Figure:
    """Bars per category; several series side by side (grouped) or on top of each other (stacked)."""
    rotate = not horizontal and (len(categories) > 8 or max((len(c) for c in categories), default=0) > 6)
    if horizontal:
        fig, ax = _figure(title, left=_label_width(categories) + 0.2, right=0.7)
    else:
        fig, ax = _figure(title, bottom=(_label_width(categories) * 0.55 + 0.3) if rotate else 0.45)
    values = [[_float(v) for v in s.values] for s in series]
    wan = unit == MONEY and use_wan([v for row in values for v in row] +
                                    ([sum(col) for col in zip(*values)] if stacked and values else []))
    positions = list(range(len(categories)))
    count = max(len(series), 1)
    width = 0.7 if stacked or count == 1 else 0.8 / count
    base = [0.0] * len(categories)
    for index, (s, row) in enumerate(zip(series, values)):
        colour = COMPARISON if s.comparison else PALETTE[index % len(PALETTE)]
        if stacked:
            offsets = positions
        else:
            offsets = [p - 0.4 + width * (index + 0.5) if count > 1 else p for p in positions]
        draw = ax.barh if horizontal else ax.bar
        kwargs = {"left": base} if horizontal else {"bottom": base}
        bars = draw(offsets, row, width if not horizontal else width, color=colour, label=s.name,
                    **(kwargs if stacked else {}))
        if value_labels and not stacked and len(categories) * count <= 24:
            ax.bar_label(bars, labels=[format_value(v, unit, wan) for v in row], fontsize=8, color=TEXT,
                         padding=2)
        if stacked:
            base = [b + v for b, v in zip(base, row)]
    if stacked and value_labels and len(categories) <= 24 and series:
        for position, total in zip(positions, base):
            xy = (total, position) if horizontal else (position, total)
            ax.annotate(format_value(total, unit, wan), xy, xytext=(3, 0) if horizontal else (0, 3),
                        textcoords="offset points", ha="left" if horizontal else "center",
                        va="center" if horizontal else "bottom", fontsize=8, color=TEXT)
    value_axis = ax.xaxis if horizontal else ax.yaxis
    value_axis.set_major_formatter(_axis_formatter(unit, wan))
    value_axis.set_major_locator(MaxNLocator(5))
    if horizontal:
        ax.set_yticks(positions, labels=list(categories))
        ax.invert_yaxis()  # the first category on top, as in the table beside it
        ax.grid(axis="x", color=GRID, linewidth=0.8)
    else:
        ax.set_xticks(positions, labels=list(categories))
        if rotate:
            for label in ax.get_xticklabels():
                label.set_rotation(30)
                label.set_ha("right")
        ax.grid(axis="y", color=GRID, linewidth=0.8)
    ax.set_axisbelow(True)
    _legend(ax, series)
    return fig


def line(categories: Sequence[str], series: Sequence[Series], unit: str = COUNT, title: str | None = None) -> Figure:
    """One line per series over the categories (months, weeks, days); a comparison series is dashed and grey."""
    fig, ax = _figure(title, bottom=0.8 if len(categories) > 12 else 0.45)
    wan = unit == MONEY and use_wan([v for s in series for v in s.values])
    positions = list(range(len(categories)))
    colour_index = 0
    for s in series:
        if s.comparison:
            colour, style = COMPARISON, "--"
        else:
            colour, style = PALETTE[colour_index % len(PALETTE)], "-"
            colour_index += 1
        ax.plot(positions, [_float(v) for v in s.values], style, color=colour, linewidth=2, marker="o",
                markersize=3.5, label=s.name)
    ax.set_xticks(positions, labels=list(categories))
    if len(categories) > 12:
        for label in ax.get_xticklabels():
            label.set_rotation(45)
            label.set_ha("right")
    ax.yaxis.set_major_formatter(_axis_formatter(unit, wan))
    ax.yaxis.set_major_locator(MaxNLocator(5))
    ax.set_ylim(bottom=min(0, min((_float(v) for s in series for v in s.values), default=0)))
    ax.grid(axis="y", color=GRID, linewidth=0.8)
    ax.set_axisbelow(True)
    _legend(ax, series)
    return fig


def top_slices(labels: Sequence[str], values: Sequence, limit: int = 8) -> tuple[list[str], list]:
    """The largest `limit - 1` slices and the rest summed as 其他 (a pie of 30 slices reads as noise)."""
    pairs = sorted(zip(labels, values), key=lambda pair: _float(pair[1]), reverse=True)
    if len(pairs) <= limit:
        return [p[0] for p in pairs], [p[1] for p in pairs]
    head, rest = pairs[:limit - 1], pairs[limit - 1:]
    return [p[0] for p in head] + [OTHERS_LABEL], [p[1] for p in head] + [sum(_float(p[1]) for p in rest)]


def pie(labels: Sequence[str], values: Sequence, unit: str = COUNT, donut: bool = False,
        title: str | None = None, limit: int = 8) -> Figure:
    """Shares of a whole, largest first, with percentages on the slices and the figures in the legend."""
    fig, ax = _figure(title, left=0.2, bottom=0.2, right=WIDTH * 0.45)
    labels, values = top_slices(labels, values, limit)
    numbers = [max(_float(v), 0.0) for v in values]
    total = sum(numbers)
    if not total:
        ax.text(0.5, 0.5, "0", ha="center", va="center", transform=ax.transAxes, color=TEXT)
        ax.set_axis_off()
        return fig
    wan = unit == MONEY and use_wan(numbers)
    wedges, _texts, autotexts = ax.pie(
        numbers, colors=[PALETTE[i % len(PALETTE)] for i in range(len(numbers))], startangle=90,
        counterclock=False, autopct=lambda pct: f"{pct:.0f}%" if pct >= 4 else "", pctdistance=0.78 if donut else 0.6,
        wedgeprops={"width": 0.42, "edgecolor": "white"} if donut else {"edgecolor": "white"},
        textprops={"fontsize": 8, "color": "white"})
    ax.legend(wedges, [f"{label}  {format_value(v, unit, wan)}" for label, v in zip(labels, numbers)],
              frameon=False, fontsize=8, loc="center left", bbox_to_anchor=(1.0, 0.5))
    if donut:
        ax.text(0, 0, format_value(total, unit, wan), ha="center", va="center", fontsize=11, color=TEXT)
    ax.set_aspect("equal")
    return fig


def funnel(labels: Sequence[str], values: Sequence, unit: str = COUNT, title: str | None = None) -> Figure:
    """Stages as centred bars narrowing down, each with its figure, and the conversion from the stage above."""
    fig, ax = _figure(title, left=_label_width(labels) + 0.2, bottom=0.2)
    numbers = [_float(v) for v in values]
    widest = max(numbers, default=0) or 1.0
    wan = unit == MONEY and use_wan(numbers)
    for index, (label, number) in enumerate(zip(labels, numbers)):
        width = max(number / widest, 0.02)
        ax.barh(index, width, left=(1 - width) / 2, height=0.78, color=PALETTE[index % len(PALETTE)])
        text = format_value(number, unit, wan)
        if index and numbers[index - 1]:
            text += f"  ({number / numbers[index - 1] * 100:.0f}%)"
        if width > 0.3:  # inside a wide bar; beside a narrow one
            ax.text(0.5, index, text, ha="center", va="center", fontsize=9, color="white")
        else:
            ax.text((1 + width) / 2 + 0.01, index, text, ha="left", va="center", fontsize=9, color=TEXT)
    ax.set_yticks(range(len(labels)), labels=list(labels))
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.xaxis.set_visible(False)
    ax.spines["bottom"].set_visible(False)
    ax.spines["left"].set_visible(False)
    return fig


def png(fig: Figure, scale: int = 2) -> bytes:
    """PNG bytes at `scale` × the CSS size (2: sharp on high-density screens)."""
    buffer = io.BytesIO()
    with _render_lock:
        # compression level 1: a fifth of the encoding time of the default for a few more kilobytes
        fig.savefig(buffer, format="png", dpi=DPI * scale, facecolor="white", pil_kwargs={"compress_level": 1})
    return buffer.getvalue()


def svg(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    with _render_lock:
        fig.savefig(buffer, format="svg", facecolor="white")
    return buffer.getvalue()
