"""The in-function collector: standard library only, it runs inside a customer's function."""
