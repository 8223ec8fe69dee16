"""A routing check as one self-contained HTML page a technician can hand over or print.

The page carries what the check was (date, devices, sample rate, level, method, thresholds),
what must be fixed before trusting it (preconditions), the verdict per output with level,
delay, skew and polarity, the level matrix, and per path the frequency response, THD and
the start of the impulse response (drawn as inline SVG, so the file needs nothing else and
prints as it shows). Pure Python: no Qt, no network.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

from ..channel_text import channel_label, format_channel_number
from .response import PathResponse
from .routing import RoutingReport, Status

__all__ = ["render_html"]

_STATUS_COLORS = {
    Status.PASS: "#2e7d32",
    Status.WRONG: "#c62828",
    Status.MISSING: "#6d6d6d",
    Status.CROSSTALK: "#e65100",
}

_STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; color: #202124; margin: 24px; max-width: 1100px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; }
table { border-collapse: collapse; margin: 6px 0; }
th, td { border: 1px solid #dadce0; padding: 3px 8px; text-align: left; }
th { background: #f1f3f4; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.verdict { font-size: 18px; font-weight: 600; padding: 8px 12px; color: white;
  display: inline-block; }
.warn { background: #fff4e5; border-left: 4px solid #e65100; padding: 6px 10px; margin: 4px 0; }
.paths { display: flex; flex-wrap: wrap; gap: 12px; }
.path { border: 1px solid #dadce0; padding: 8px; break-inside: avoid; }
.path h3 { font-size: 14px; margin: 0 0 4px; }
.muted { color: #5f6368; }
@media print { body { margin: 0; } .path { page-break-inside: avoid; } }
"""


def _e(value: object) -> str:
    return html.escape(str(value))


def _number(value: float | None, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return f"{value:.{digits}f}"


def render_html(report: RoutingReport) -> str:
    """The whole page for ``report``."""
    info = report.info
    m = report.matrix
    passed = report.all_passed
    verdict_color = _STATUS_COLORS[Status.PASS if passed else Status.WRONG]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Routing check: {_e(info.get('output_device', ''))}</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>Routing check</h1>",
        f'<p class="muted">{_e(info.get("measured_at", ""))} · scgui</p>',
        f'<p><span class="verdict" style="background:{verdict_color}">'
        f"{_e(report.summary())}</span></p>",
        _settings_table(report),
    ]
    preconditions = info.get("preconditions") or []
    if preconditions:
        parts.append("<h2>Before trusting these figures</h2>")
        parts.extend(f'<div class="warn">{_e(text)}</div>' for text in preconditions)
    parts.append("<h2>Every output</h2>")
    parts.append(_results_table(report))
    parts.append("<h2>Level matrix (dB re played)</h2>")
    parts.append(_matrix_table(report))
    if report.responses:
        parts.append("<h2>Frequency response, distortion and impulse response per path</h2>")
        parts.append(
            '<p class="muted">Magnitude relative to a perfect wire (0 dB), from the log sweep '
            "(Farina's deconvolution); THD is the 2nd to 5th harmonic re the fundamental. "
            f"Sample rate {m.samplerate:g} Hz.</p>"
        )
        parts.append('<div class="paths">')
        parts.extend(_path_block(report, r) for r in report.responses)
        parts.append("</div>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _settings_table(report: RoutingReport) -> str:
    info, t, m = report.info, report.thresholds, report.matrix
    rows = [
        ("Output device", info.get("output_device", "")),
        ("Input device", info.get("input_device", "")),
        ("Sample rate", f"{m.samplerate:g} Hz"),
        ("Outputs x inputs", f"{len(m.outputs)} x {len(m.inputs)}"),
        ("Signal level", f"{info.get('level_db', '')} dBFS"),
        ("Method", info.get("method", "")),
        (
            "Thresholds",
            f"detect {t.detect_db:g} dB, crosstalk {t.crosstalk_db:g} dB, floor {t.floor_db:g} dB",
        ),
    ]
    reference = report.skew_reference
    if reference is not None:
        rows.append(
            ("Skew relative to", f"output {channel_label(reference.output, reference.output_name)}")
        )
    body = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in rows)
    return f"<table>{body}</table>"


def _results_table(report: RoutingReport) -> str:
    m = report.matrix
    head = (
        "<tr><th>Output</th><th>Expected</th><th>Status</th><th>Arrives on</th>"
        "<th>Level dB</th><th>Delay ms</th><th>Skew ms</th><th>Polarity</th>"
        "<th>Flatness dB</th><th>THD 1 kHz dB</th><th>Notes</th></tr>"
    )
    rows = []
    for r in report.results:
        response = report.response(r.output)
        thd = response.thd_db.get(1000.0) if response is not None else None
        notes = "; ".join(([r.message] if not r.passed else []) + list(r.warnings))
        expected = (
            channel_label(r.expected, m.input_name(r.expected)) if r.expected is not None else "–"
        )
        arrives = ", ".join(channel_label(i, m.input_name(i)) for i in r.arrives_on) or "–"
        color = _STATUS_COLORS[r.status]
        rows.append(
            f"<tr><td>{_e(channel_label(r.output, r.output_name))}</td><td>{_e(expected)}</td>"
            f'<td style="color:{color};font-weight:600">{_e(r.status.value)}</td>'
            f"<td>{_e(arrives)}</td>"
            f'<td class="num">{_number(r.level_db if r.arrives_on else None, 1)}</td>'
            f'<td class="num">{_number(r.delay_ms, 3)}</td>'
            f'<td class="num">{_number(report.skew_ms(r), 3)}</td>'
            f"<td>{'inverted' if r.polarity < 0 else ('normal' if r.polarity > 0 else '–')}</td>"
            f'<td class="num">{_number(response.flatness_db if response else None, 2)}</td>'
            f'<td class="num">{_number(thd, 1)}</td><td>{_e(notes)}</td></tr>'
        )
    return f"<table>{head}{''.join(rows)}</table>"


def _matrix_table(report: RoutingReport) -> str:
    m = report.matrix
    floor = report.thresholds.floor_db
    head = (
        "<tr><th>out \\ in</th>"
        + "".join(f"<th>{format_channel_number(i)}</th>" for i in m.inputs)
        + "</tr>"
    )
    rows = []
    for row, output in zip(m.gain_db, m.outputs, strict=True):
        cells = []
        for value in row:
            if value < floor:
                cells.append("<td></td>")
                continue
            shade = max(0.0, min(1.0, (value - floor) / -floor))
            cells.append(
                f'<td class="num" style="background:rgba(12,44,132,{0.15 + 0.6 * shade:.2f});'
                f'color:{"white" if shade > 0.6 else "#202124"}">{value:.1f}</td>'
            )
        rows.append(f"<tr><th>{format_channel_number(output)}</th>{''.join(cells)}</tr>")
    return f"<table>{head}{''.join(rows)}</table>"


def _path_block(report: RoutingReport, response: PathResponse) -> str:
    thd = ", ".join(f"{f:g} Hz: {v:.1f} dB" for f, v in response.thd_db.items()) or "–"
    low, high = response.band_hz
    return (
        f'<div class="path"><h3>Output {format_channel_number(response.output)} → input '
        f"{format_channel_number(response.input)}</h3>"
        f"{_magnitude_svg(response)}{_impulse_svg(response)}"
        f'<div class="muted">Flatness {response.flatness_db:.2f} dB over {low:.0f} Hz – '
        f"{high / 1000:.1f} kHz · THD {_e(thd)}</div></div>"
    )


_W, _H, _PAD = 320, 150, 34


def _polyline(xs: Sequence[float], ys: Sequence[float], color: str) -> str:
    points = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True))
    return f'<polyline fill="none" stroke="{color}" stroke-width="1.5" points="{points}"/>'


def _frame(title: str, x_labels: list[tuple[float, str]], y_labels: list[tuple[float, str]]) -> str:
    out = [
        f'<rect x="{_PAD}" y="8" width="{_W - _PAD - 8}" height="{_H - _PAD - 8}" '
        'fill="none" stroke="#dadce0"/>',
        f'<text x="{_PAD}" y="{_H - 2}" font-size="10" fill="#5f6368">{_e(title)}</text>',
    ]
    for x, text in x_labels:
        out.append(
            f'<text x="{x:.1f}" y="{_H - _PAD + 12}" font-size="9" text-anchor="middle" '
            f'fill="#5f6368">{_e(text)}</text>'
        )
    for y, text in y_labels:
        out.append(
            f'<line x1="{_PAD}" x2="{_W - 8}" y1="{y:.1f}" y2="{y:.1f}" stroke="#f1f3f4"/>'
            f'<text x="{_PAD - 3}" y="{y + 3:.1f}" font-size="9" text-anchor="end" '
            f'fill="#5f6368">{_e(text)}</text>'
        )
    return "".join(out)


def _magnitude_svg(response: PathResponse) -> str:
    if not response.freqs_hz:
        return ""
    values = response.magnitude_db
    middle = 0.5 * (max(values) + min(values))
    span = max(1.0, max(values) - min(values)) * 1.2  # at least +-0.5 dB: a flat line shows flat
    top, bottom = middle + span / 2, middle - span / 2
    f_low, f_high = 20.0, max(20000.0, response.freqs_hz[-1])

    def x(f: float) -> float:
        return _PAD + (_W - _PAD - 8) * math.log(f / f_low) / math.log(f_high / f_low)

    def y(v: float) -> float:
        return 8 + (_H - _PAD - 8) * (top - v) / (top - bottom)

    ticks = [(x(f), label) for f, label in ((100, "100"), (1000, "1k"), (10000, "10k"))]
    y_ticks = [(y(v), f"{v:.1f}") for v in (top - span * 0.1, middle, bottom + span * 0.1)]
    return (
        f'<svg width="{_W}" height="{_H}" role="img" aria-label="frequency response">'
        f"{_frame('magnitude, dB over Hz', ticks, y_ticks)}"
        f"{_polyline([x(f) for f in response.freqs_hz], [y(v) for v in values], '#225ea8')}"
        "</svg>"
    )


def _impulse_svg(response: PathResponse) -> str:
    samples = response.impulse
    if not samples:
        return ""
    peak = max(1e-12, max(abs(v) for v in samples))
    count = len(samples)
    start_ms = response.impulse_start_ms
    length_ms = count * 1000.0 / response.samplerate

    def x(i: float) -> float:
        return _PAD + (_W - _PAD - 8) * i / max(1, count - 1)

    def y(v: float) -> float:
        return 8 + (_H - _PAD - 8) * (0.5 - 0.5 * v / peak)

    ticks = [
        (x((t - start_ms) / length_ms * (count - 1)), f"{t:g}")
        for t in (0.0, 1.0, 2.0, 3.0)
        if start_ms <= t <= start_ms + length_ms
    ]
    return (
        f'<svg width="{_W}" height="{_H}" role="img" aria-label="impulse response">'
        f"{_frame('impulse response over ms (re its peak)', ticks, [(y(0.0), '0')])}"
        f"{_polyline([x(i) for i in range(count)], [y(v) for v in samples], '#c62828')}"
        "</svg>"
    )
