"""EUR and USD: AWS prices and budgets are in USD, the team thinks in EUR. A leaf module, so the cost
estimate (which imports the services for its inventory) and the monitoring service's budget share one rate."""

from __future__ import annotations

PRICES_CHECKED = "2025-06-30"
EUR_PER_USD = 0.86  # ECB reference rate of PRICES_CHECKED, rounded


def eur(usd: float) -> float:
    return usd * EUR_PER_USD


def eur_to_usd(amount_eur: float) -> float:
    return amount_eur / EUR_PER_USD
