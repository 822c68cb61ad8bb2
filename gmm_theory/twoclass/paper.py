"""The paper's two-class example (Vysogorets, Ahuja and Kempe, ICLR 2025, Section 3): class
means -1 and 1, standard deviations 0.5 and 1.5, equal priors."""

PAPER_MEANS = (-1.0, 1.0)
PAPER_STDS = (0.5, 1.5)
PAPER_PRIORS = (0.5, 0.5)
