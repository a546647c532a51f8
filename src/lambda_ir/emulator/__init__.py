"""The embedded AWS account for the demo and the tests: moto server plus what moto lacks."""
