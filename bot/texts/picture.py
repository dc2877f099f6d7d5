"""A chart (bot.engine.views.chart.Chart) as a PNG for Telegram: the executable price to sell
and to buy over time against the target, fills marked. Drawn with Pillow, imported only when a
picture is asked for (never in the idle bot's memory). Times are shown in Moscow time.

Floats appear only here, to place pixels; every number written on the picture is formatted
from the Decimal it came from.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from bot.engine.views.chart import Chart
from bot.texts.format import format_decimal, moscow

WIDTH, HEIGHT = 960, 540
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 110, 24, 56, 64
COLOURS = {
    "sell": (31, 119, 180),
    "buy": (255, 127, 14),
    "target": (44, 160, 44),
    "fill": (214, 39, 40),
    "axis": (90, 90, 90),
    "grid": (225, 225, 225),
    "text": (20, 20, 20),
}


@dataclass(frozen=True, slots=True)
class ChartLabels:
    title: str
    sell: str
    buy: str
    target: str
    fills: str
    empty: str
    language: str = "ru"


def _font(size: int) -> Any:
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # an old Pillow or no FreeType: the bitmap font
        return ImageFont.load_default()


def render_png(chart: Chart, labels: ChartLabels) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    font, small = _font(18), _font(14)
    draw.text((MARGIN_LEFT, 14), labels.title, fill=COLOURS["text"], font=font)

    values: list[Decimal] = [v for p in chart.points for v in (p.sell, p.buy) if v is not None]
    values += [f.price for f in chart.fills]
    if chart.target is not None:
        values.append(chart.target)
    times = [p.at for p in chart.points] + [f.at for f in chart.fills]
    if not values or not times:
        draw.text((MARGIN_LEFT, HEIGHT // 2), labels.empty, fill=COLOURS["text"], font=font)
        return _png(image)

    low, high = min(values), max(values)
    if low == high:
        pad = abs(low) / 100 or Decimal(1)
        low, high = low - pad, high + pad
    start, end = min(times), max(times)
    span = (end - start).total_seconds() or 1.0
    plot_w = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM

    def x(moment: datetime) -> float:
        return MARGIN_LEFT + (moment - start).total_seconds() / span * plot_w

    def y(value: Decimal) -> float:
        return MARGIN_TOP + float((high - value) / (high - low)) * plot_h

    # grid and axis labels: five price levels, four times
    for i in range(5):
        level = low + (high - low) * i / 4
        yy = y(level)
        draw.line([(MARGIN_LEFT, yy), (WIDTH - MARGIN_RIGHT, yy)], fill=COLOURS["grid"])
        label = format_decimal(level.quantize(Decimal("0.01")), labels.language)
        draw.text((8, yy - 8), label, fill=COLOURS["axis"], font=small)
    for i in range(4 if end > start else 1):
        moment = start + (end - start) * i / 3
        xx = x(moment)
        draw.line([(xx, MARGIN_TOP), (xx, HEIGHT - MARGIN_BOTTOM)], fill=COLOURS["grid"])
        stamp = moscow(moment).strftime("%d.%m %H:%M")
        left = min(xx - 20, WIDTH - 4 - draw.textlength(stamp, font=small))
        draw.text((left, HEIGHT - MARGIN_BOTTOM + 6), stamp, fill=COLOURS["axis"], font=small)
    draw.rectangle(
        [(MARGIN_LEFT, MARGIN_TOP), (WIDTH - MARGIN_RIGHT, HEIGHT - MARGIN_BOTTOM)],
        outline=COLOURS["axis"],
    )
    if chart.target is not None:
        yy = y(chart.target)
        for xx in range(MARGIN_LEFT, WIDTH - MARGIN_RIGHT, 12):  # dashed
            draw.line(
                [(xx, yy), (min(xx + 6, WIDTH - MARGIN_RIGHT), yy)], fill=COLOURS["target"], width=2
            )
    for side in ("sell", "buy"):
        line = [(x(p.at), y(v)) for p in chart.points if (v := getattr(p, side)) is not None]
        if len(line) > 1:
            draw.line(line, fill=COLOURS[side], width=2)
        elif line:
            px, py = line[0]
            draw.ellipse([(px - 2, py - 2), (px + 2, py + 2)], fill=COLOURS[side])
    for f in chart.fills:
        px, py = x(f.at), y(f.price)
        draw.ellipse([(px - 6, py - 6), (px + 6, py + 6)], fill=COLOURS["fill"], outline="white")
    # legend
    legend_x = MARGIN_LEFT
    for key in ("sell", "buy", "target", "fill"):
        label = getattr(labels, key if key != "fill" else "fills")
        draw.rectangle([(legend_x, HEIGHT - 22), (legend_x + 14, HEIGHT - 10)], fill=COLOURS[key])
        draw.text((legend_x + 20, HEIGHT - 26), label, fill=COLOURS["text"], font=small)
        legend_x += 30 + int(draw.textlength(label, font=small))
    return _png(image)


def _png(image: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
