"""Drawing and chart parts (DrawingML) for the charts of an owned sheet's plan.

The XML follows what XlsxWriter writes for the same charts (xlsxwriter/chart.py, drawing.py),
element order as in the ECMA-376 schemas (dml-chart.xsd, dml-spreadsheetDrawing.xsd).
"""

from __future__ import annotations

import re

from sheetflow.core.plan import Chart, quote_title
from sheetflow.io.xlsx.cells import escape

EMU_PER_CM = 360_000
_C = "http://schemas.openxmlformats.org/drawingml/2006/chart"
_A = "http://schemas.openxmlformats.org/drawingml/2006/main"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_XDR = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
_ANCHOR = re.compile(r"([A-Z]+)(\d+)")


def drawing_xml(charts: list[Chart], rel_ids: list[str]) -> bytes:
    """The drawing part holding one graphic frame per chart, anchored at its cell."""
    frames = []
    for number, (chart, rel_id) in enumerate(zip(charts, rel_ids, strict=True), start=1):
        letters, row = _ANCHOR.fullmatch(chart.anchor).groups()
        col = 0
        for ch in letters:
            col = col * 26 + ord(ch) - 64
        cx = int(chart.width_cm * EMU_PER_CM)
        cy = int(chart.height_cm * EMU_PER_CM)
        frames.append(
            f"<xdr:oneCellAnchor><xdr:from><xdr:col>{col - 1}</xdr:col><xdr:colOff>0</xdr:colOff>"
            f"<xdr:row>{int(row) - 1}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from>"
            f'<xdr:ext cx="{cx}" cy="{cy}"/>'
            f'<xdr:graphicFrame macro=""><xdr:nvGraphicFramePr>'
            f'<xdr:cNvPr id="{number + 1}" name="Chart {number}"/><xdr:cNvGraphicFramePr/>'
            f"</xdr:nvGraphicFramePr>"
            f'<xdr:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/></xdr:xfrm>'
            f'<a:graphic><a:graphicData uri="{_C}"><c:chart r:id="{rel_id}"/></a:graphicData>'
            f"</a:graphic></xdr:graphicFrame><xdr:clientData/></xdr:oneCellAnchor>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<xdr:wsDr xmlns:xdr="{_XDR}" xmlns:a="{_A}" xmlns:c="{_C}" xmlns:r="{_R}">'
        + "".join(frames)
        + "</xdr:wsDr>"
    ).encode()


def _ref(sheet_title: str, a1: str) -> str:
    absolute = ":".join(re.sub(r"^\$?([A-Z]+)\$?(\d+)$", r"$\1$\2", cell) for cell in a1.split(":"))
    return escape(f"{quote_title(sheet_title)}!{absolute}")


def _text(text: str, size: int = 1200, bold: bool = True) -> str:
    b = "1" if bold else "0"
    return (
        f'<c:tx><c:rich><a:bodyPr/><a:lstStyle/><a:p><a:pPr><a:defRPr sz="{size}" b="{b}"/>'
        f'</a:pPr><a:r><a:rPr lang="en-US" sz="{size}" b="{b}"/><a:t>{escape(text)}</a:t>'
        "</a:r></a:p></c:rich></c:tx>"
    )


def _solid(colour: str) -> str:
    return (
        f'<c:spPr><a:solidFill><a:srgbClr val="{colour}"/></a:solidFill>'
        f'<a:ln><a:solidFill><a:srgbClr val="{colour}"/></a:solidFill></a:ln></c:spPr>'
    )


def _series(chart: Chart, sheet_title: str) -> str:
    out = []
    for index, series in enumerate(chart.series):
        points = "".join(
            f'<c:dPt><c:idx val="{i}"/><c:bubble3D val="0"/>'
            f'<c:spPr><a:solidFill><a:srgbClr val="{colour}"/></a:solidFill></c:spPr></c:dPt>'
            for i, colour in enumerate(series.point_colours)
        )
        labels = ""
        if chart.show_percent:
            labels = (
                '<c:dLbls><c:showLegendKey val="0"/><c:showVal val="0"/>'
                '<c:showCatName val="0"/><c:showSerName val="0"/>'
                '<c:showPercent val="1"/><c:showBubbleSize val="0"/>'
                '<c:showLeaderLines val="0"/></c:dLbls>'
            )
        fill = _solid(series.colour) if series.colour and chart.kind != "pie" else ""
        marker = '<c:marker><c:symbol val="circle"/></c:marker>' if chart.kind == "line" else ""
        inverted = '<c:invertIfNegative val="0"/>' if chart.kind in ("column", "bar") else ""
        smooth = '<c:smooth val="0"/>' if chart.kind == "line" else ""
        out.append(
            f'<c:ser><c:idx val="{index}"/><c:order val="{index}"/>'
            f"<c:tx><c:v>{escape(series.name)}</c:v></c:tx>{fill}{inverted}{marker}{points}"
            f"{labels}"
            f"<c:cat><c:strRef><c:f>{_ref(sheet_title, chart.categories)}</c:f></c:strRef></c:cat>"
            f"<c:val><c:numRef><c:f>{_ref(sheet_title, series.values)}</c:f></c:numRef></c:val>"
            f"{smooth}</c:ser>"
        )
    return "".join(out)


def _axes(chart: Chart) -> str:
    y_title = ""
    if chart.y_title:
        y_title = f'<c:title>{_text(chart.y_title, 1000, False)}<c:overlay val="0"/></c:title>'
    y_format = escape(chart.y_format or "General")
    cat_pos, val_pos = ("l", "b") if chart.kind == "bar" else ("b", "l")
    return (
        '<c:catAx><c:axId val="50010001"/><c:scaling><c:orientation val="minMax"/></c:scaling>'
        f'<c:delete val="0"/><c:axPos val="{cat_pos}"/><c:numFmt formatCode="General" '
        'sourceLinked="1"/><c:majorTickMark val="out"/><c:minorTickMark val="none"/>'
        '<c:tickLblPos val="nextTo"/><c:crossAx val="50010002"/><c:crosses val="autoZero"/>'
        '<c:auto val="1"/><c:lblAlgn val="ctr"/><c:lblOffset val="100"/><c:noMultiLvlLbl '
        'val="0"/></c:catAx>'
        '<c:valAx><c:axId val="50010002"/><c:scaling><c:orientation val="minMax"/></c:scaling>'
        f'<c:delete val="0"/><c:axPos val="{val_pos}"/><c:majorGridlines/>{y_title}'
        f'<c:numFmt formatCode="{y_format}" sourceLinked="0"/><c:majorTickMark val="out"/>'
        '<c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/><c:crossAx val="50010001"/>'
        '<c:crosses val="autoZero"/><c:crossBetween val="between"/></c:valAx>'
    )


def chart_xml(chart: Chart, sheet_title: str) -> bytes:
    """One chart part (column, bar, line or pie) whose data are ranges of `sheet_title`."""
    series = _series(chart, sheet_title)
    if chart.kind == "pie":
        plot = f'<c:pieChart><c:varyColors val="1"/>{series}<c:firstSliceAng val="0"/></c:pieChart>'
        legend_pos = "r"
    elif chart.kind == "line":
        plot = (
            f'<c:lineChart><c:grouping val="standard"/><c:varyColors val="0"/>{series}'
            '<c:marker val="1"/><c:axId val="50010001"/><c:axId val="50010002"/></c:lineChart>'
            + _axes(chart)
        )
        legend_pos = "b"
    else:
        direction = "bar" if chart.kind == "bar" else "col"
        plot = (
            f'<c:barChart><c:barDir val="{direction}"/><c:grouping val="clustered"/>'
            f'<c:varyColors val="0"/>{series}<c:gapWidth val="150"/>'
            '<c:axId val="50010001"/><c:axId val="50010002"/></c:barChart>' + _axes(chart)
        )
        legend_pos = "b"
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<c:chartSpace xmlns:c="{_C}" xmlns:a="{_A}" xmlns:r="{_R}">'
        '<c:roundedCorners val="0"/>'
        f'<c:chart><c:title>{_text(chart.title)}<c:overlay val="0"/></c:title>'
        f'<c:autoTitleDeleted val="0"/><c:plotArea><c:layout/>{plot}</c:plotArea>'
        f'<c:legend><c:legendPos val="{legend_pos}"/><c:overlay val="0"/></c:legend>'
        '<c:plotVisOnly val="1"/><c:dispBlanksAs val="gap"/></c:chart>'
        '<c:printSettings><c:headerFooter/><c:pageMargins b="0.75" l="0.7" r="0.7" '
        't="0.75" header="0.3" footer="0.3"/><c:pageSetup/></c:printSettings>'
        "</c:chartSpace>"
    ).encode()
