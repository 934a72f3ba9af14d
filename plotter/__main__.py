import sys

from plotter.cli import main

sys.exit(main())
