"""The file door's xlsx/xlsm package: read with calamine, write by editing the package's parts.

reader:   file -> `Workbook` (calamine), with a `Snapshot` of what was read
package:  the zip's parts, relationships and content types
styles:   styles.xml, with the few styles sheetflow needs appended once and reused
sheetxml: the user's sheets (Log, Cases) streamed row by row with the owned cells merged in
owned:    the owned sheets (Summary, Overdue...) written whole from their `SheetPlan`
charts:   drawing and chart parts
writer:   `write_plan`: all of the above, through a temporary file, checked, then replaced
"""

from sheetflow.io.xlsx.reader import (
    WORKBOOK_SUFFIXES,
    Snapshot,
    check_workbook_file,
    read_rows,
    read_snapshot,
    read_workbook,
)
from sheetflow.io.xlsx.writer import write_plan

__all__ = [
    "WORKBOOK_SUFFIXES",
    "Snapshot",
    "check_workbook_file",
    "read_rows",
    "read_snapshot",
    "read_workbook",
    "write_plan",
]
