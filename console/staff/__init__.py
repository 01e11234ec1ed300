"""Staff: accounts and sign-in for the console, the on-call rota and alerts to staff."""
