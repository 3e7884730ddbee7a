"""scolint's built-in plugins: format loaders, check kinds, filters, reporters."""
