"""One module per subcommand: they wire inventory, runner, evaluation and reports together."""
