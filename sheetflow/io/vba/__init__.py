"""Write a VBA project and an Excel add-in (.xlam) from text sources, on any OS.

compression: [MS-OVBA] 2.4.1 run-length compression of module source and the dir stream.
project: the streams of a VBA project (dir, PROJECT, PROJECTwm, _VBA_PROJECT, modules).
cfb: a writer of OLE compound files ([MS-CFB] version 3), the container of vbaProject.bin.
xlam: the add-in package: the xlwings BSD template with our ribbon XML and VBA project.
"""
