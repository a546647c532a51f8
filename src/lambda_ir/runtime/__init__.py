"""The in-function collector: standard library only, it runs inside a customer's function.

`snapshot.take_snapshot` reads /tmp (`files`), processes (`procs`), sockets (`sockets`), the
redacted environment and invocation context (`environment`) and /opt; `upload` ships it to
S3 with a manifest of hashes; `main` is the command line the layer's wrapper and extension
(`extension`) run, configured by `settings`; `layer` builds that layer. Modules import each
other relatively, so the same files work as `lambda_ir.runtime` and, in the layer, as
`lambda_ir_runtime`.
"""
