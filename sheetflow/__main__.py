import sys

from sheetflow.cli import main

sys.exit(main())
