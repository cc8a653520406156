"""The segment-membership recommender: which firms belong to (or fit) a chain segment, learned from memberships,
names and product texts — ranker, datasets in the interchange format, evaluation and baselines, CLI."""
