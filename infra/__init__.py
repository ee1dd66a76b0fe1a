"""mplat's AWS provisioning: `python -m infra {plan,apply,destroy,publish-site,rotate-key,revoke-key}`.

Desired state (env config) → planner diff per service → list of actions → executor. See infra/README.md for
the layout and how to add a service (one module in `infra/services/`, registered in `services/__init__.py`).
"""
