"""Built-in plugins: registered through the same hooks and the same call as third-party ones."""
