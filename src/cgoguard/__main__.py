import sys

from cgoguard.cli import main

sys.exit(main())
