"""What a code package's files can do, read offline and never run: `extract.extract`.

Below both `evidence` (its index fills the `capabilities` table with these rows) and `analyze`
(the capability detectors judge them); it imports neither, nor anything that talks to AWS.
"""
