"""BG/NBD and Gamma-Gamma on CDNOW: the published parameters, and an independent implementation.

Fader, Hardie and Lee (2005), 39-week calibration on the 2,357-customer sample:
r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, log-likelihood -9582.4; the
Gamma-Gamma spend model (Fader, Hardie and Lee 2005, RFM and CLV): p = 6.25,
q = 3.74, gamma = 15.44 on the 946 repeat buyers.
"""

from __future__ import annotations

import numpy as np
import pytest

from segments.cohort_loaders import CohortSource
from segments.scoring import bg_nbd
from segments.scoring.event_files import parse_as_of, read_events
from segments.scoring.gamma_gamma import expected_spend, fit_gamma_gamma
from segments.scoring.purchase_summary import summarise_purchases

CALIBRATION_END = "1997-09-30"
PAPER_BG_NBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PAPER_GAMMA_GAMMA = {"p": 6.25, "q": 3.74, "gamma": 15.44}


@pytest.fixture(scope="module")
def calibration(cdnow_files):
    csv, mapping = cdnow_files
    events = read_events(CohortSource(path=csv, mapping=mapping))
    end = parse_as_of(CALIBRATION_END)
    summary, skipped = summarise_purchases(events.subset(events.day <= end), end)
    assert skipped == 0
    return summary


def test_sample_has_the_papers_customers(calibration) -> None:
    assert len(calibration) == 2357
    assert int((calibration.x > 0).sum()) == 946
    assert calibration.T_weeks().max() == pytest.approx(38.86, abs=0.01)


def test_bg_nbd_matches_the_paper_within_one_percent(calibration) -> None:
    fit = bg_nbd.fit_bg_nbd(calibration.x, calibration.tx_weeks(), calibration.T_weeks())
    for name, published in PAPER_BG_NBD.items():
        assert getattr(fit, name) == pytest.approx(published, rel=0.01), name
    assert fit.log_likelihood == pytest.approx(-9582.4, abs=0.5)


def test_gamma_gamma_matches_the_paper_within_two_percent(calibration) -> None:
    fit = fit_gamma_gamma(calibration.x, calibration.repeat_mean)
    assert fit.customers == 946
    for name, published in PAPER_GAMMA_GAMMA.items():
        assert getattr(fit, name) == pytest.approx(published, rel=0.02), name
    # a customer's own mean ($30 over 2 repeats) is shrunk toward the population mean ($35.17)
    spend = expected_spend(fit, np.array([0.0, 2.0]), np.array([0.0, 30.0]))
    assert spend[0] == pytest.approx(fit.population_mean)
    assert 30 < spend[1] < fit.population_mean
    assert fit.population_mean == pytest.approx(35.17, abs=0.05)


def test_predictions_agree_with_lifetimes(calibration) -> None:
    """The archived `lifetimes` package, fitted on the same summary, predicts the same numbers."""
    from lifetimes import BetaGeoFitter

    x, tx, T = calibration.x, calibration.tx_weeks(), calibration.T_weeks()
    ours = bg_nbd.fit_bg_nbd(x, tx, T)
    theirs = BetaGeoFitter().fit(x, tx, T)
    for name in ("r", "alpha", "a", "b"):
        assert getattr(ours, name) == pytest.approx(theirs.params_[name], rel=1e-3)
    np.testing.assert_allclose(
        bg_nbd.expected_purchases(ours, 39, x, tx, T),
        theirs.conditional_expected_number_of_purchases_up_to_time(39, x, tx, T),
        rtol=2e-3,
    )
    np.testing.assert_allclose(
        bg_nbd.probability_alive(ours, x, tx, T),
        theirs.conditional_probability_alive(x, tx, T),
        rtol=2e-3,
    )


def test_no_purchase_probability_is_consistent(calibration) -> None:
    """P(no purchase in t) falls with t, and 1 - P(alive) is its limit for a long horizon."""
    fit = bg_nbd.fit_bg_nbd(calibration.x, calibration.tx_weeks(), calibration.T_weeks())
    x, tx, T = calibration.x[:200], calibration.tx_weeks()[:200], calibration.T_weeks()[:200]
    short = bg_nbd.probability_no_purchase(fit, 4, x, tx, T)
    long = bg_nbd.probability_no_purchase(fit, 52, x, tx, T)
    forever = bg_nbd.probability_no_purchase(fit, 1e30, x, tx, T)
    assert np.all(short >= long) and np.all((long >= 0) & (long <= 1))
    np.testing.assert_allclose(forever, 1 - bg_nbd.probability_alive(fit, x, tx, T), atol=2e-3)


def test_no_repeat_buyer_is_a_clear_error() -> None:
    from segments.errors import SegmentsError

    with pytest.raises(SegmentsError, match="more than one day"):
        bg_nbd.fit_bg_nbd(np.zeros(5), np.zeros(5), np.full(5, 10.0))
