"""The lowest layer: user errors, the command runner, files, platforms, the settings table."""
