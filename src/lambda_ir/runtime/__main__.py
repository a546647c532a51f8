"""`python -m lambda_ir.runtime snapshot --stdout`: the collector, from an installed lambda-ir."""

import sys

from lambda_ir.runtime.main import main

sys.exit(main())
