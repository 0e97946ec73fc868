"""One batch: the campaign applied to a cohort, then the stages (segments, variants, render, check,
store) with progress reporting."""
