"""`python -m bench [--quick | --smoke] [--json PATH]`: run the benchmarks, print the table, write the JSON."""

import sys

from bench.run import main

sys.exit(main())
