"""Chalice blueprints; `app.py` registers them. Each function here is a thin adapter around plain code."""
