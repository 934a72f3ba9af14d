import sys

from plotter.cli.main import main

sys.exit(main())
