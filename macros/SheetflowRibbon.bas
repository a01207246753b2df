Attribute VB_Name = "SheetflowRibbon"
Option Explicit

' Every button of the Sheetflow tab calls this sub; the button's id names what to do.
' sheetflow.addin.run_button shows its own message box for every outcome, errors included,
' so Python never sends a traceback back to a VBA error dialog.
Public Sub OnSheetflowButton(control As IRibbonControl)
    RunPython "import sheetflow.addin; sheetflow.addin.run_button('" & control.Id & "')"
End Sub
