"""`python -m lambda_ir` runs the CLI."""

from lambda_ir.cli.main import main

main()
