"""The report of a plan: plotly figures (:mod:`greenzone.report.figures`, one function per figure, reusable in
notebooks) and one self-contained HTML file (:func:`write_report`)."""

from greenzone.report.figures import select_weeks
from greenzone.report.html import ReportError, render_report, write_report

__all__ = ["ReportError", "render_report", "select_weeks", "write_report"]
