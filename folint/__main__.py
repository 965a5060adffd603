import sys

from folint.cli import main

sys.exit(main())
