"""lambda-ir: incident response for AWS Lambda."""

__version__ = "0.1.0"
