"""Who gets a message: cohort loading and validation, activation rules,
suppression, experiment arms, behavioural features and clusters."""
