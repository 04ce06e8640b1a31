"""GraphQL layer of the sandbox: SDL binding, resolvers, permissions and complexity."""
