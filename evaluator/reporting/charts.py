"""Small inline SVG charts built from numbers: forecast sparklines and cost bars (headroom bars are a macro).

Every string here is assembled with ``Markup.format``, which escapes each argument, so text from a
snapshot (a cluster name, a target label) can never become markup. Numbers are rounded to keep files small.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from markupsafe import Markup

from .environment import quantity

STATUS_COLOURS = {
    "ok": "#2e7d4f",
    "watch": "#b7791f",
    "at-risk": "#c2410c",
    "blocker": "#b91c1c",
    "unknown": "#6b7280",
}


def _r(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def sparkline(
    points: Sequence[Sequence[object]],
    *,
    slope_per_day: float,
    thresholds: Sequence[tuple[str, float]],
    unit: str,
    horizon_days: int = 365,
    width: int = 400,
    height: int = 120,
) -> Markup:
    """Measured points (solid), the trend projected ``horizon_days`` ahead (dashed) and labelled threshold lines.

    ``thresholds`` is ``[(label, value), ...]``; a threshold more than four times the largest plotted value
    is left out of the drawing (it would flatten the line) and listed in the chart's title instead.
    """
    data = [(_parse(str(t)), float(v)) for t, v in points if v is not None]  # type: ignore[arg-type]
    if not data:
        return Markup("")
    data.sort()
    start, last = data[0][0], data[-1][0]
    end = last + timedelta(days=horizon_days)
    last_value = data[-1][1]
    projected = last_value + slope_per_day * horizon_days
    peak = max(max(v for _, v in data), projected, 0.0)
    shown = [(label, value) for label, value in thresholds if value <= max(peak, 1e-9) * 4]
    hidden = [(label, value) for label, value in thresholds if (label, value) not in shown]
    top = max([peak, *[v for _, v in shown]]) * 1.12 or 1.0
    left, right, pad_top, pad_bottom = 4.0, 118.0, 6.0, 16.0
    plot_w = width - left - right
    plot_h = height - pad_top - pad_bottom
    span = (end - start).total_seconds() or 1.0

    def x(t: datetime) -> float:
        return left + (t - start).total_seconds() / span * plot_w

    def y(v: float) -> float:
        return pad_top + plot_h - max(0.0, min(v, top)) / top * plot_h

    summary = (
        f"Measured {quantity(data[0][1], unit)} to {quantity(last_value, unit)}; "
        f"trend {quantity(projected, unit)} in {horizon_days} days"
    )
    if hidden:
        summary += "; off the chart: " + ", ".join(f"{label} {quantity(value, unit)}" for label, value in hidden)
    out = [
        Markup(
            '<svg class="spark" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-label="{s}">'
            "<title>{s}</title>"
            '<line x1="{l}" x2="{r}" y1="{b}" y2="{b}" stroke="#9ca3af"/>'
        ).format(w=width, h=height, s=summary, l=_r(left), r=_r(left + plot_w), b=_r(pad_top + plot_h))
    ]
    # Threshold lines, labelled at the right edge; labels that would overlap are nudged apart.
    used_y: list[float] = []
    for label, value in sorted(shown, key=lambda item: item[1]):
        ty = y(value)
        ly = ty + 3
        while any(abs(ly - other) < 9 for other in used_y):
            ly -= 9
        used_y.append(ly)
        out.append(
            Markup(
                '<line x1="{x1}" x2="{x2}" y1="{y}" y2="{y}" stroke="#b91c1c" stroke-dasharray="2 2" stroke-width="1"/>'
                '<text x="{tx}" y="{ly}" font-size="9" fill="#7f1d1d">{t}</text>'
            ).format(x1=_r(left), x2=_r(left + plot_w), y=_r(ty), tx=_r(left + plot_w + 3), ly=_r(ly), t=label)
        )
    path = " ".join(f"{_r(x(t))},{_r(y(v))}" for t, v in data)
    out.append(Markup('<polyline points="{}" fill="none" stroke="#1f4e79" stroke-width="2"/>').format(path))
    for t, v in data:
        out.append(Markup('<circle cx="{}" cy="{}" r="2.5" fill="#1f4e79"/>').format(_r(x(t)), _r(y(v))))
    out.append(
        Markup(
            '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#1f4e79" stroke-width="1.5" stroke-dasharray="4 3"/>'
        ).format(_r(x(last)), _r(y(last_value)), _r(x(end)), _r(y(projected)))
    )
    out.append(
        Markup(
            '<text x="{}" y="{}" font-size="9" fill="#4b5563">{}</text>'
            '<text x="{}" y="{}" font-size="9" fill="#4b5563" text-anchor="end">{}</text>'
        ).format(_r(left), height - 3, f"{start:%b %Y}", _r(left + plot_w), height - 3, f"{end:%b %Y}")
    )
    out.append(Markup("</svg>"))
    return Markup("").join(out)


def cost_bars(items: Sequence[tuple[str, float]], *, width: int = 520, bar_height: int = 18) -> Markup:
    """Horizontal bars of monthly cost per option, labelled with the option and the amount."""
    if not items:
        return Markup("")
    peak = max(v for _, v in items) or 1.0
    label_w, value_w = 130.0, 90.0
    plot_w = width - label_w - value_w
    height = len(items) * (bar_height + 8) + 4
    out = [
        Markup('<svg class="costs" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-label="{s}">').format(
            w=width, h=height, s="Monthly cost per option: " + "; ".join(f"{k} ${v:,.0f}" for k, v in items)
        )
    ]
    for i, (label, value) in enumerate(items):
        top = 4 + i * (bar_height + 8)
        length = max(1.0, value / peak * plot_w) if value > 0 else 0.0
        out.append(
            Markup(
                '<text x="0" y="{ty}" font-size="12" fill="#111827">{label}</text>'
                '<rect x="{x}" y="{y}" width="{wd}" height="{h}" rx="2" fill="#1f4e79"/>'
                '<text x="{vx}" y="{ty}" font-size="12" fill="#111827">{value}</text>'
            ).format(
                ty=_r(top + bar_height - 5),
                label=label,
                x=_r(label_w),
                y=top,
                wd=_r(length),
                h=bar_height,
                vx=_r(label_w + length + 6),
                value=f"${value:,.0f}/mo",
            )
        )
    out.append(Markup("</svg>"))
    return Markup("").join(out)


# One colour per cost category, in order (control plane, workers, load balancers, traffic, support, people);
# chosen to stay distinguishable in grey-scale print.
COST_COLOURS = ("#1f4e79", "#4f81bd", "#9bbb59", "#f79646", "#8064a2", "#7f7f7f")


def stacked_cost_bars(
    items: Sequence[tuple[str, Sequence[float], bool]],
    categories: Sequence[str],
    *,
    width: int = 560,
    bar_height: int = 20,
) -> Markup:
    """One horizontal bar per option, stacked by cost category, labelled with the monthly total.

    ``items`` are (option, amount per category, complete); an incomplete option is marked "+ gaps" because some of
    its lines have no price. Credits (negative amounts) are left out of the bar but not out of the total.
    """
    if not items:
        return Markup("")
    totals = [sum(values) for _, values, _ in items]
    peak = max([sum(v for v in values if v > 0) for _, values, _ in items] + [1.0])
    label_w, value_w = 120.0, 130.0
    plot_w = width - label_w - value_w
    legend_h = 22
    height = len(items) * (bar_height + 10) + 4 + legend_h
    summary = "; ".join(
        f"{label} ${total:,.0f}/mo" + ("" if done else " plus unpriced lines")
        for (label, _, done), total in zip(items, totals, strict=True)
    )
    out = [
        Markup('<svg class="costs" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-label="{s}">').format(
            w=width, h=height, s="Monthly cost per option by category: " + summary
        )
    ]
    for i, ((label, values, done), total) in enumerate(zip(items, totals, strict=True)):
        top = 4 + i * (bar_height + 10)
        out.append(
            Markup('<text x="0" y="{ty}" font-size="12" fill="#111827">{label}</text>').format(
                ty=_r(top + bar_height - 6), label=label
            )
        )
        x = label_w
        for category, value, colour in zip(categories, values, COST_COLOURS, strict=False):
            if value <= 0:
                continue
            length = value / peak * plot_w
            out.append(
                Markup(
                    '<rect x="{x}" y="{y}" width="{wd}" height="{h}" fill="{c}"><title>{cat}: ${v}/mo</title></rect>'
                ).format(
                    x=_r(x), y=top, wd=_r(max(length, 0.5)), h=bar_height, c=colour, cat=category, v=f"{value:,.0f}"
                )
            )
            x += length
        out.append(
            Markup('<text x="{vx}" y="{ty}" font-size="12" fill="#111827">{value}</text>').format(
                vx=_r(x + 6), ty=_r(top + bar_height - 6), value=f"${total:,.0f}/mo" + ("" if done else " + gaps")
            )
        )
    ly = height - legend_h + 14
    lx = 0.0
    for category, colour in zip(categories, COST_COLOURS, strict=False):
        out.append(
            Markup(
                '<rect x="{x}" y="{y}" width="10" height="10" fill="{c}"/>'
                '<text x="{tx}" y="{ty}" font-size="10" fill="#374151">{name}</text>'
            ).format(x=_r(lx), y=ly - 9, c=colour, tx=_r(lx + 13), ty=ly, name=category)
        )
        lx += 14 + 6.2 * len(category) + 12
    out.append(Markup("</svg>"))
    return Markup("").join(out)
