"""Learning from the work: what every step really took, and what that says about the
next project. Pure: no I/O, no clock; the CLI, the API, the dashboard and the
workflow's effects activity all call the same functions.

- `runs`         one row per run of a step (the data everything here reads)
- `history_csv`  the spreadsheet format: import (all or nothing) and export
- `stats`        lateness, cycle time, medians and quantiles (numpy's linear rule)
- `report`       the retrospective: per step, person and role; where the days went
- `recalibrate`  proposed windows from history, the dues laid out again, the new YAML
- `forecast`     Monte Carlo over the steps still to do: p_on_time, p50/p80 finish
- `demo`         generated past projects from known distributions (demo and tests)
"""

MIN_SAMPLES = 5  # the default: fewer of a person's (or a step's) runs don't count alone
