"""`python -m postbacks_local`: the same local stack as `python -m postbacks_local.local_stack`."""

import sys

from postbacks_local.local_stack import main

sys.exit(main())
