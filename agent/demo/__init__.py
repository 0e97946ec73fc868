"""The fitness-app demo's data: a synthetic at-risk cohort and simulated outcomes."""
