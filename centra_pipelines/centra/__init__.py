"""Everything that reads from or writes to Centra: the GraphQL client and the assets built on it."""
