"""The tenant booking bot, built per tenant by a factory and run by a pool worker."""
