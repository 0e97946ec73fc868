"""Is a message safe to send: PII (Presidio), creepy-factor rules, channel and
offer policy, combined into pass | warn | block verdicts."""
