"""Lift: outcomes joined to a batch's arms, and the statistics that say whether it worked."""
