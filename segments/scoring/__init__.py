"""From raw events to the four scores winback reads: churn, propensity, lifetime value, engagement.

The pipeline, one module per step:

- `event_files`      read transactions and engagement events (the cohort loaders:
                     CSV, Parquet, JSONL, SQL, a column mapping) and refuse bad rows;
- `purchase_summary` one row per user: repeat purchase days, recency, age, mean spend;
- `bg_nbd`           the BG/NBD purchase model (Fader, Hardie and Lee 2005): churn,
                     P(alive), expected purchases;
- `gamma_gamma`      the Gamma-Gamma spend model (Fader, Hardie and Lee 2005, "RFM and CLV");
- `max_likelihood`   the maximum-likelihood fit both models share;
- `lifetime_value`   discounted expected revenue over a horizon;
- `engagement`       a documented 0-1 composite of recent activity;
- `scored_cohort`    the cohort in the schema `winback run` reads, written atomically;
- `calibration`      a calibration/holdout split: predicted against actual;
- `fairness`         the same calibration per segment, flagging outlying groups;
- `drift`            score distributions kept per run, population stability index;
- `staleness`        how old a cohort's scores are.

The models are the published likelihoods maximised with scipy, not the archived
`lifetimes` package (which still works here, and which the tests use only as the
source of the CDNOW data set and as an independent check of the fitted parameters).
"""
