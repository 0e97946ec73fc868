"""`winback init`: a campaign folder for a new brand, written for its vertical and cohort.

- `starter_sets`: the data in `prompts/starters/<vertical>/` and how it is
  adapted to a cohort (copy alternatives, rule clauses, catalog offers).
- `campaign_folder`: reads the cohort's columns, checks the request (every
  problem is a `WinbackError` naming the fix, raised before anything is
  written), validates the three files with the same loaders `winback run`
  uses, then writes the folder.
"""
