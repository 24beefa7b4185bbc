"""The commands layer: one module per subcommand, each with `run(args) -> int` (cli.py finds it by name).

The only layer that sees an argparse Namespace, prints, and picks exit codes; the libraries below it take typed
values and return results (docs/architecture.md)."""
